"""Knobs every trial reads: what to build, how long and how to train, where to run."""

from __future__ import annotations

from .knobs import Knob, declare
from .registries import ATTENTIONS, BACKBONES, DATASETS, NEURONS

declare(
    Knob("dataset", str, "digits", "dataset to train and validate on", choices=DATASETS.names),
    Knob("backbone", str, "small_cnn", "spiking network architecture", choices=BACKBONES.names),
    Knob("attention", str, "none", "attention module under study (none = vanilla baseline)", choices=ATTENTIONS.names),
    Knob("neuron", str, "generic", "spiking neuron model (a paper preset or the generic LIF)", choices=NEURONS.names),
    Knob("timesteps", int, 4, "simulation time steps T", low=1, high=64),
    Knob("seed", int, 0, "seed of initialisation, data order and augmentation", low=0, high=2**31 - 1),
    Knob("epochs", int, 10, "training epochs", low=1, high=100_000),
    Knob("batch_size", int, 64, "training mini-batch size", low=1, high=65_536),
    Knob("optimizer", str, "sgd", "optimiser", choices=("sgd", "adam", "adamw")),
    Knob("lr", float, 0.1, "peak learning rate", low=1e-8, high=10.0),
    Knob("momentum", float, 0.9, "SGD momentum", low=0.0, high=0.999, when={"optimizer": ("sgd",)}),
    Knob("weight_decay", float, 1e-4, "weight decay (L2)", low=0.0, high=1.0),
    Knob("schedule", str, "cosine", "learning-rate schedule, stepped per epoch", choices=("cosine", "constant")),
    Knob(
        "min_lr",
        float,
        0.0,
        "learning rate at the end of the cosine schedule",
        low=0.0,
        high=10.0,
        when={"schedule": ("cosine",)},
    ),
    Knob("warmup_epochs", int, 0, "linear warm-up epochs from min_lr", low=0, high=10_000),
    Knob("label_smoothing", float, 0.0, "label smoothing of the cross-entropy loss", low=0.0, high=0.99),
    Knob("device", str, "auto", "where the trial runs (auto = CUDA when visible)", choices=("auto", "cpu", "cuda")),
    Knob(
        "precision",
        str,
        "auto",
        "autocast precision (auto = bf16 on CUDA, fp32 on CPU)",
        choices=("auto", "fp32", "bf16"),
    ),
    Knob("threads", int, 1, "CPU threads per trial (fixed so CPU results reproduce exactly)", low=1, high=256),
    # speed: none of these changes what is trained, only how fast (results agree to float tolerance)
    Knob(
        "compile",
        str,
        "auto",
        "torch.compile the training forward/backward (auto = default on CUDA, none on "
        "CPU: bf16 + compile measured 2.3x over bf16 eager on an H100; on CPU compiling costs more than it saves "
        "for short trials)",
        choices=("auto", "none", "default", "max-autotune"),
    ),
    Knob(
        "last_batch",
        str,
        "auto",
        "the last partial training batch of an epoch: keep or drop it (auto = drop "
        "when compiled, so no step sees a new shape, keep otherwise)",
        choices=("auto", "keep", "drop"),
    ),
    Knob(
        "lif_impl",
        str,
        "eager",
        "multi-step LIF of the neuron presets: a Python loop over T, or one fused op "
        "over all T (a Triton kernel on CUDA; the same spikes; STAA-LIFs of attention: staa stay eager)",
        choices=("eager", "fused"),
    ),
    Knob("channels_last", bool, False, "NHWC memory format for convolutions (measured no gain on an H100 at T=4)"),
)

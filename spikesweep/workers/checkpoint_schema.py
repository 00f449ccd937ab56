"""Trial checkpoints' knob and file names, torch-free (declared on import, so validating a study needs no torch)."""

from __future__ import annotations

from .knobs import Knob, declare

STATE_FILE, METRICS_FILE, WEIGHTS_FILE = "trial_state.pt", "metrics.json", "weights.pt"

declare(
    Knob(
        "checkpoint.every_epochs",
        int,
        1,
        "save a checkpoint of the trial (model, optimiser, RNG states, epoch) every this many epochs and after "
        "the last one; a trial whose worker dies continues from its last checkpoint (1 loses at most one epoch)",
        low=1,
        high=100_000,
        owner="checkpoint",
    ),
)

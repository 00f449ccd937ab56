"""STAA: the adaptive LIF, PE, GC, Step Attention, TSRD and the STAA-LIF through build_model (seed-spec 3)."""

import copy
import math

import pytest
import torch

from spikesweep.workers.attention.staa import (
    GlobalContext,
    PositionEncoding,
    StaaLIF,
    StaaSettings,
    StepAttention,
    hidden_width,
    sinusoidal_table,
)
from spikesweep.workers.knobs import KnobError, resolve, unused
from spikesweep.workers.model import build_model
from spikesweep.workers.neurons.staa import AdaptiveLIF
from spikesweep.workers.registries import NEURONS, load_plugins

load_plugins()
SHAPE = (4, 3, 8, 5, 5)  # T, B, C, H, W


def current(shape=SHAPE, seed=0, scale=8.0):
    return torch.randn(shape, generator=torch.Generator().manual_seed(seed)) * scale


def randomise(module: torch.nn.Module, seed: int = 1) -> torch.nn.Module:
    """Every parameter set to random values, so that no submodule is the identity it starts as."""
    generator = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for param in module.parameters():
            param.copy_(torch.randn(param.shape, generator=generator) * 0.5)
        for name, param in module.named_parameters():
            if name.startswith("coefficients."):
                param.uniform_(0.3, 1.5, generator=generator)
    return module


def staa(channels=8, timesteps=4, **changes) -> StaaLIF:
    return StaaLIF(channels, timesteps, StaaSettings(**changes))


def plain_copy(module: StaaLIF) -> AdaptiveLIF:
    """An adaptive LIF with the same M, N as `module`."""
    plain = AdaptiveLIF(module.coefficients.m.shape[0], lif_param=module.coefficients.lif_param)
    plain.coefficients.load_state_dict(module.coefficients.state_dict())
    return plain


# adaptive LIF ------------------------------------------------------------------------------------------------


def test_adaptive_lif_known_trace():
    lif = NEURONS.get("staa")(resolve({}), 1)
    assert lif.coefficients.m.shape == (1, 1, 1)
    assert lif.coefficients.m.item() == 2.0 and lif.coefficients.n.item() == pytest.approx(0.1)
    x = torch.tensor([5.0, 5.0, 5.0, 30.0]).reshape(4, 1, 1, 1, 1)
    # V: 0.5 (H 0.5) -> 2*0.5 + 0.5 = 1.5 spike (H 0) -> 0.5 (H 0.5) -> 1 + 3 = 4 spike
    assert lif(x).flatten().tolist() == [0.0, 1.0, 0.0, 1.0]
    tau = AdaptiveLIF(1, lif_param="tau_style")
    # V: 0.5 -> 0.25 + 0.5 = 0.75 -> 0.375 + 0.5 = 0.875 -> 0.4375 + 3 spike
    assert tau(x).flatten().tolist() == [0.0, 0.0, 0.0, 1.0]


def test_adaptive_lif_rectangular_surrogate_and_per_channel_coefficients():
    lif = AdaptiveLIF(2)
    x = torch.tensor([[12.0, 16.0]]).reshape(1, 1, 2, 1, 1).requires_grad_()  # V = 1.2 (inside), 1.6 (outside)
    lif(x).sum().backward()
    assert x.grad.flatten().tolist() == pytest.approx([0.1, 0.0])  # dS/dV = 1 inside |V - 1| < 1/2, times N
    assert lif.coefficients.n.grad.flatten().tolist() == pytest.approx([12.0, 0.0])
    flat = AdaptiveLIF(3)(torch.full((2, 4, 3), 20.0))  # [T, B, C] inputs (no spatial axes) broadcast too
    assert flat.tolist() == [[[1.0] * 3] * 4] * 2
    with pytest.raises(ValueError, match="built for 3 channels"):
        AdaptiveLIF(3)(torch.zeros(2, 4, 5, 2, 2))
    with pytest.raises(ValueError, match="built for 8 channels"):
        staa()(torch.zeros(2, 4, 5, 2, 2))


# submodules -------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("form", ["gate", "softmax2"])
def test_step_attention_with_k2_is_plain_addition_at_init(form):
    history, drive = current((3, 8, 5, 5), 1), current((3, 8, 5, 5), 2)
    assert torch.allclose(StepAttention(8, 4, 2.0, form)(history, drive), history + drive, atol=1e-6)
    assert torch.allclose(StepAttention(8, 4, 3.0, form)(history, drive), 1.5 * (history + drive), atol=1e-5)


def test_step_attention_gate_formula():
    sa = randomise(StepAttention(8, 4, 2.0, "gate"))
    history, drive = current((3, 8, 5, 5), 1), current((3, 8, 5, 5), 2)
    pooled = (history + drive).mean((2, 3), keepdim=True)
    gate = torch.sigmoid(sa.expand(torch.relu(sa.squeeze(pooled))))
    assert torch.allclose(sa(history, drive), 2 * ((1 - gate) * history + gate * drive), atol=1e-5)
    two = randomise(StepAttention(8, 4, 2.0, "softmax2"))
    logits = two.expand(torch.relu(two.squeeze(pooled))).flatten(1)
    weights = torch.softmax(torch.stack([logits[:, :8], logits[:, 8:]]), 0)[..., None, None]
    expected = 2 * (weights[0] * history + weights[1] * drive)
    assert torch.allclose(two(history, drive), expected, atol=1e-5)


def test_global_context_is_identity_at_init_and_follows_gcnet():
    x = current((3, 8, 5, 5), 3)
    assert torch.equal(GlobalContext(8, 4, "add")(x), x)
    assert torch.allclose(GlobalContext(8, 4, "mul")(x), 0.5 * x)
    gc = randomise(GlobalContext(8, 4, "add"))
    keys = torch.einsum("c,bchw->bhw", gc.key.weight.flatten(), x) + gc.key.bias
    weights = torch.softmax(keys.flatten(1), 1)  # [B, HW]
    context = torch.einsum("bcp,bp->bc", x.flatten(2), weights)[:, :, None, None]
    assert torch.allclose(gc(x), x + gc.transform(context), atol=1e-5)


def test_position_encoding_zero_init_and_fixed_sinusoid():
    learnable = PositionEncoding("learnable", "TxCx1x1", 4, 8)
    assert learnable.table.shape == (4, 8, 1, 1) and not learnable.table.any()
    table = sinusoidal_table(3, 4).flatten(1)
    assert table[0].tolist() == [0.0, 1.0, 0.0, 1.0]
    assert table[2].tolist() == pytest.approx([math.sin(2), math.cos(2), math.sin(0.02), math.cos(0.02)])
    pixel = PositionEncoding("learnable", "TxCxHxW", 4, 8)
    pe = pixel(torch.arange(2), torch.zeros(2, 3, 8, 5, 7))
    assert pixel.table.shape == (4, 8, 5, 7) and pe.shape == (2, 1, 8, 5, 7) and not pe.any()


def test_staa_lif_at_init_is_the_plain_adaptive_lif():
    # PE = 0, GC = identity (zero W_2), SA with k = 2 = plain addition: the module starts as M H + N I
    module = staa(tsrd_p=0.0)
    for x in (current(), current((4, 3, 8))):  # conv maps and [T, B, C] features (e.g. a spiking FC layer)
        assert torch.equal(module(x), plain_copy(module)(x))
    randomise(module)
    assert module(current((4, 3, 8))).shape == (4, 3, 8)


# PE locations --------------------------------------------------------------------------------------------------


def test_pe_locations_enter_where_documented():
    x = current()

    def run(location, scale_by_n=False):
        module = staa(pe_location=location, gc=False, step_attention=False, tsrd_p=0.0)
        with torch.no_grad():
            module.position.table.copy_(torch.linspace(-3, 3, 32).reshape(4, 8, 1, 1))
            module.coefficients.n.fill_(0.25)
            if scale_by_n:
                module.position.table.mul_(0.25)
        return module(x)

    # without GC and SA: c (input, times N) == d (after GC, times N); b (history) == e (after aggregation)
    assert torch.equal(run("c"), run("d"))
    assert torch.allclose(run("b"), run("e"))
    assert torch.allclose(run("c"), run("b", scale_by_n=True))
    assert not torch.equal(run("c"), staa(gc=False, step_attention=False, pe="none")(x))


# TSRD ----------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("granularity", ["batch", "sample"])
def test_tsrd_p0_is_the_module_without_tsrd_and_p1_is_plain_addition(granularity):
    x = current()
    full = randomise(staa(tsrd_p=0.0, tsrd_granularity=granularity)).train()
    reference = copy.deepcopy(full).eval()  # eval never drops
    assert torch.equal(full(x), reference(x))
    dropped = copy.deepcopy(full)
    dropped.settings = StaaSettings(tsrd_p=1.0, tsrd_granularity=granularity)
    plain = plain_copy(full)(x)
    assert torch.equal(dropped.train()(x), plain)
    assert not torch.equal(dropped.eval()(x), plain)  # eval never drops
    assert torch.equal(dropped.eval()(x), reference(x))


def test_tsrd_batch_draws_drop_whole_steps_with_probability_p():
    x = current((1, 3, 8, 5, 5))
    module = randomise(staa(timesteps=1, tsrd_p=0.5))
    enhanced, plain = module.eval()(x), plain_copy(module)(x)
    assert not torch.equal(enhanced, plain)
    module.train()
    torch.manual_seed(0)
    outcomes = []
    for _ in range(40):
        out = module(x)
        assert torch.equal(out, enhanced) or torch.equal(out, plain)
        outcomes.append(torch.equal(out, plain))
    assert 8 <= sum(outcomes) <= 32


# parameters ----------------------------------------------------------------------------------------------------


def staa_layer_params(c: int, t: int, r: int = 4, form: str = "gate") -> int:
    h = hidden_width(c, r)
    coefficients, pe = 2 * c, t * c
    gc = (c + 1) + (c * h + h) + 2 * h + (h * c + c)  # key, W_1, LayerNorm, W_2
    sa = (c * h + h) + (h * c + c) * (2 if form == "softmax2" else 1)
    return coefficients + pe + gc + sa


@pytest.mark.parametrize("c,t,r,form", [(64, 4, 4, "gate"), (32, 2, 16, "softmax2"), (8, 6, 1, "gate")])
def test_parameter_count_of_one_layer(c, t, r, form):
    module = staa(c, t, gc_ratio=r, step_form=form)
    assert sum(p.numel() for p in module.parameters()) == staa_layer_params(c, t, r, form)
    assert staa_layer_params(64, 4) == 2 * 64 + 4 * 64 + 64 * 64 + 3 * 64 + 3 * 16 + 1 + 16  # = C^2 + O(C)


# through build_model -------------------------------------------------------------------------------------------


@pytest.mark.parametrize("timesteps", [1, 2, 4, 6])
def test_small_cnn_with_staa_trains_and_evaluates_deterministically(timesteps):
    torch.manual_seed(0)
    knobs = {"attention": "staa", "timesteps": timesteps, "staa.tsrd_p": 0.3}
    model = build_model(knobs, (1, 8, 8), 10)
    baseline = build_model({"timesteps": timesteps}, (1, 8, 8), 10)
    added = sum(p.numel() for p in model.parameters()) - sum(p.numel() for p in baseline.parameters())
    assert added == staa_layer_params(32, timesteps) + staa_layer_params(64, timesteps)  # small_cnn: 32, 64
    x = current((5, 1, 8, 8), 4, 2.0)
    model.train()
    model(x).logsumexp(1).sum().backward()
    grads = {name: p.grad for name, p in model.named_parameters()}
    assert all(g is None or torch.isfinite(g).all() for g in grads.values())
    # a step TSRD drops leaves PE/GC/SA of that step out of the graph; the rest always learns
    assert all(
        grads[name] is not None
        for name in grads
        if "context" not in name and "aggregator" not in name and "position" not in name
    )
    model.eval()
    assert torch.equal(model(x), model(x))


def test_per_pixel_pe_is_sized_by_build_model():
    model = build_model({"attention": "staa", "staa.pe_shape": "TxCxHxW"}, (1, 8, 8), 10)
    tables = {name: p.shape for name, p in model.named_parameters() if name.endswith("position.table")}
    assert tables == {
        "backbone.stem_neuron.position.table": (4, 32, 8, 8),
        "backbone.neuron2.position.table": (4, 64, 4, 4),
    }


def test_knobs_are_checked_and_scoped():
    with pytest.raises(KnobError, match="staa.tsrd_p"):
        resolve({"attention": "staa", "staa.tsrd_p": 1.5})
    with pytest.raises(KnobError, match="staa.pe_location"):
        resolve({"attention": "staa", "staa.pe_location": "a"})
    values = {
        "attention": "staa",
        "staa.gc": False,
        "staa.gc_fusion": "mul",
        "staa.pe": "fixed",
        "staa.pe_shape": "TxCxHxW",
    }
    assert unused(values, resolve(values)) == ["staa.gc_fusion", "staa.pe_shape"]
    assert unused({"staa.tsrd_p": 0.2}, resolve({"staa.tsrd_p": 0.2})) == ["staa.tsrd_p"]


def test_staa_with_every_submodule_off_is_the_staa_neuron_preset():
    # the Table 4 baseline row: attention staa without GC/PE/SA/TSRD == attention none with neuron staa
    off = {"attention": "staa", "staa.gc": False, "staa.pe": "none", "staa.step_attention": False, "staa.tsrd_p": 0.0}
    torch.manual_seed(0)
    bare = build_model(off, (1, 8, 8), 10)
    torch.manual_seed(0)
    preset = build_model({"neuron": "staa"}, (1, 8, 8), 10)
    assert bare.state_dict().keys() == preset.state_dict().keys()
    x = current((5, 1, 8, 8), 4, 2.0)
    assert torch.equal(bare(x), preset(x))

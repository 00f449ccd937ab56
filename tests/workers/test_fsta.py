"""FSTA (spikesweep/workers/attention/fsta.py): the DCT bank, TA/SA math, modes, knobs and placement."""

import math

import pytest
import torch
import torch.nn.functional as F

from spikesweep.workers import build_model, check_config, leave_one_out_switches
from spikesweep.workers.attention.fsta import (
    FSTA,
    TOPK_TABLE,
    AttentiveNeuron,
    best_frequencies,
    dct_bank,
    lowest_frequencies,
)
from spikesweep.workers.knobs import KnobError, resolve
from spikesweep.workers.neurons.base import SpikingNeuron


@pytest.mark.parametrize("k", [3, 5, 7])
def test_dct_bank_is_orthonormal(k):
    flat = dct_bank(k).reshape(k * k, k * k).double()
    assert torch.allclose(flat @ flat.T, torch.eye(k * k, dtype=torch.float64), atol=1e-6)


def test_dct_bank_values_and_index_order():
    bank = dct_bank(3)
    assert torch.allclose(bank[0], torch.full((3, 3), 1 / 3))
    # filter 1 = (u=1, v=0): varies down the rows (vertical frequency), constant along a row
    column = torch.tensor([math.sqrt(2 / 3) * math.cos(math.pi * (2 * i + 1) / 6) / math.sqrt(3) for i in range(3)])
    assert torch.allclose(bank[1], column[:, None].expand(3, 3), atol=1e-6)
    assert torch.allclose(bank[3], bank[1].T, atol=1e-6)  # (u=0, v=1) is its transpose
    assert bank.shape == (9, 3, 3)


@pytest.mark.parametrize("k", [3, 5, 7])
def test_lowest_filter_gives_the_window_sum_over_k_and_keeps_hw(k):
    module = FSTA(channels=2, timesteps=1, kernel=k)
    y = torch.rand(1, 1, 2, 9, 11)
    maps = module.frequency_maps(y)
    assert maps.shape == (1, k * k, 9, 11)  # padding (k-1)/2 keeps H x W
    channel_sum = y[0, 0].sum(0)
    r = k // 2
    window = channel_sum[4 - r : 4 + r + 1, 5 - r : 5 + r + 1].sum()
    assert maps[0, 0, 4, 5].item() == pytest.approx(window.item() / k, rel=1e-5)  # c(0)^2 = 1/k


def test_channel_sum_form_equals_the_replicated_filter_conv():
    module = FSTA(channels=5, timesteps=3, kernel=7)
    y = torch.randn(3, 2, 5, 8, 8)
    weight = dct_bank(7).unsqueeze(1).repeat(1, 5, 1, 1)  # the code's [k^2, C, k, k] weight
    reference = F.conv2d(y.mean(0), weight, padding=3)
    assert torch.allclose(module.frequency_maps(y), reference, atol=1e-5)


def test_constant_input_known_answer():
    # W_t = 0 and compression = 0 give w_T = w_S = sigmoid(0) = 1/2: X_t = 1.5 c, X_s = 1.5 X_t,
    # output (0.6 * 1.5 c + 0.5 * 2.25 c) / 2 = 1.0125 c
    module = FSTA(channels=3, timesteps=2, kernel=3)
    torch.nn.init.zeros_(module.time_fc.weight)
    torch.nn.init.zeros_(module.compress.weight)
    out = module(torch.full((2, 2, 3, 4, 4), 2.0))
    assert torch.allclose(out, torch.full_like(out, 2.025))


def reference_fsta(module: FSTA, x: torch.Tensor, mode: str) -> torch.Tensor:
    """The reference code's DCTSA.forward transcribed in its `[B, T, C, H, W]` layout (replicated DCT weight)."""
    t, b, c, h, w = x.shape
    x = x.permute(1, 0, 2, 3, 4)
    pooled = module.alpha * x.mean((3, 4)) + module.beta * x.amax((3, 4))  # [B, T, C]
    time_mix = module.time_fc(pooled.transpose(1, 2)).transpose(1, 2)  # [B, T, C]
    x_t = x * torch.sigmoid(time_mix.mean(2))[:, :, None, None, None] + x
    if mode == "serial_channel":
        gate = torch.sigmoid(module.channel_fc(pooled).mean(1))  # [B, C]
        x_t = x_t * gate[:, None, :, None, None] + x_t
    source = x if mode == "parallel" else x_t
    weight = module.dct[:, 0].unsqueeze(1).repeat(1, c, 1, 1)
    freq = F.conv2d(source.mean(1), weight, padding=module.kernel // 2)
    s = module.compress(freq).unsqueeze(1)  # [B, 1, 1, H, W]
    x_s = source * torch.sigmoid(s) + source
    return ((x_t * module.t + x_s * module.s) / 2).permute(1, 0, 2, 3, 4)


@pytest.mark.parametrize("mode", ["serial", "parallel", "serial_channel"])
def test_matches_the_reference_forward(mode):
    torch.manual_seed(0)
    module = FSTA(channels=4, timesteps=3, kernel=5, combination=mode)
    x = torch.randn(3, 2, 4, 6, 6)
    assert torch.allclose(module(x), reference_fsta(module, x, mode), atol=1e-5)


def test_parallel_and_serial_differ_and_all_parameters_learn():
    torch.manual_seed(1)
    serial = FSTA(channels=4, timesteps=2, kernel=3, combination="serial")
    parallel = FSTA(channels=4, timesteps=2, kernel=3, combination="parallel")
    parallel.load_state_dict(serial.state_dict())
    x = torch.randn(2, 2, 4, 5, 5)
    assert not torch.allclose(serial(x), parallel(x))
    serial(x).square().sum().backward()
    for name, parameter in serial.named_parameters():
        assert parameter.grad is not None and parameter.grad.abs().sum() > 0, name


@pytest.mark.parametrize(
    "kwargs,expected",
    [
        ({"kernel": 7}, 49 * 49 + 16 + 4),  # 2,421 (seed-spec 2.7)
        ({"kernel": 3}, 9 * 49 + 16 + 4),
        ({"kernel": 7, "compress_reduction": 16}, 49 * 3 * 49 + 3 * 49 + 16 + 4),
        ({"kernel": 7, "combination": "serial_channel"}, 2421 + 64 * 64),
        ({"kernel": 7, "frequencies": [0, 1, 7]}, 3 * 49 + 16 + 4),
    ],
)
def test_parameter_count(kwargs, expected):
    module = FSTA(channels=64, timesteps=4, **kwargs)
    assert sum(p.numel() for p in module.parameters()) == expected
    assert "dct" not in module.state_dict()  # non-persistent buffer


def test_frequency_selection_knobs():
    assert lowest_frequencies(3, 3) == [0, 1, 3]
    model = build_model(
        {
            "backbone": "small_cnn",
            "attention": "fsta",
            "fsta.freq_select": "single",
            "fsta.freq_index": 5,
            "fsta.dct_kernel": 3,
        },
        (1, 8, 8),
        3,
    )
    fsta = next(m for m in model.modules() if isinstance(m, FSTA))
    assert torch.equal(fsta.dct[:, 0], dct_bank(3)[5:6])
    model = build_model(
        {
            "backbone": "small_cnn",
            "attention": "fsta",
            "fsta.freq_select": "lowfreq",
            "fsta.freq_k": 6,
            "fsta.dct_kernel": 3,
        },
        (1, 8, 8),
        3,
    )
    fsta = next(m for m in model.modules() if isinstance(m, FSTA))
    assert torch.equal(fsta.dct[:, 0], dct_bank(3)[[0, 1, 3, 2, 4, 6]])
    model = build_model(
        {"backbone": "small_cnn", "attention": "fsta", "fsta.freq_select": "topk", "fsta.freq_k": 4}, (1, 8, 8), 3
    )
    fsta = next(m for m in model.modules() if isinstance(m, FSTA))
    assert torch.equal(fsta.dct[:, 0], dct_bank(7)[[3, 39, 34, 40]])  # the bank in the reference's topk order


def test_topk_is_the_reference_rule_the_best_of_its_accuracy_table():
    assert len(TOPK_TABLE) == 49 and TOPK_TABLE[3] == 70.68 and TOPK_TABLE[9] == 69.43
    assert best_frequencies(4) == [3, 39, 34, 40]  # 70.68, 70.65, 70.62, 70.62 (34 and 40 tie)
    assert best_frequencies(49) == torch.topk(torch.tensor(TOPK_TABLE), 49).indices.tolist()
    # the old rule (now `lowfreq`) and the reference's pick few of the same filters
    overlaps = [len(set(best_frequencies(k)) & set(lowest_frequencies(7, k))) for k in (4, 8, 16, 25)]
    assert overlaps == [0, 2, 3, 12]


def fsta_config(**knobs):
    """A full configuration with attention fsta and these knobs, unchecked (as a study file might set it)."""
    return {**resolve({"attention": "fsta"}), **{f"fsta.{name}": value for name, value in knobs.items()}}


@pytest.mark.parametrize(
    "knobs,problem",
    [
        (
            {"freq_select": "topk", "freq_k": 16, "dct_kernel": 3},
            (
                "fsta.freq_select",
                "'topk' ranks frequencies by the reference code's 7 x 7 accuracy table, but "
                "fsta.dct_kernel is 3 (allowed: topk with fsta.dct_kernel 7; lowfreq, all or single with "
                "any kernel)",
            ),
        ),
        (
            {"freq_select": "topk", "freq_k": 50},
            ("fsta.freq_k", "50 is out of range (allowed: 1..49 for fsta.dct_kernel 7)"),
        ),
        (
            {"freq_select": "lowfreq", "freq_k": 10, "dct_kernel": 3},
            ("fsta.freq_k", "10 is out of range (allowed: 1..9 for fsta.dct_kernel 3)"),
        ),
        (
            {"freq_select": "single", "freq_index": 25, "dct_kernel": 5},
            ("fsta.freq_index", "25 is out of range (allowed: 0..24 for fsta.dct_kernel 5)"),
        ),
        (
            {"compress_reduction": 10, "dct_kernel": 3},
            ("fsta.compress_reduction", "10 leaves no channel for the 9 frequencies kept (allowed: 1..9)"),
        ),
        (
            {"compress_reduction_stem": 2, "freq_select": "single"},
            ("fsta.compress_reduction_stem", "2 leaves no channel for the 1 frequencies kept (allowed: 1..1, or 0)"),
        ),
    ],
)
def test_cross_knob_checks_name_the_knob_and_what_is_allowed(knobs, problem):
    assert check_config(fsta_config(**knobs)) == [problem]
    with pytest.raises(KnobError) as error:
        resolve({"attention": "fsta", **{f"fsta.{name}": value for name, value in knobs.items()}})
    assert error.value.problems == [problem]


def test_cross_knob_checks_pass_good_values_and_apply_only_to_fsta():
    assert check_config(fsta_config(freq_select="topk", freq_k=49)) == []
    assert check_config(fsta_config(freq_select="lowfreq", freq_k=9, dct_kernel=3, compress_reduction=9)) == []
    bad = fsta_config(freq_select="topk", dct_kernel=3)
    assert check_config({**bad, "attention": "none"}) == []
    assert resolve({"fsta.freq_select": "topk", "fsta.dct_kernel": 3})["attention"] == "none"  # not read: no error


def test_leave_one_out_switch_is_registered_with_fsta():
    assert leave_one_out_switches("fsta") == {"fsta": {"attention": "none"}}


def test_resnet19_reference_compression_stem_1_blocks_16():
    """The reference ResNet19 (T = 2, 10 classes) builds its block FSTA with r = 16 and its stem FSTA with r = 1."""

    def params(**knobs):
        model = build_model({"backbone": "resnet19", "attention": "fsta", "timesteps": 2, **knobs}, (3, 32, 32), 10)
        return sum(p.numel() for p in model.parameters()), model

    reference, model = params(**{"fsta.compress_reduction": 16, "fsta.compress_reduction_stem": 1})
    assert reference == 12_689_363
    assert params(**{"fsta.compress_reduction": 1})[0] == reference - 79_184  # 16 blocks x (7,350 - 2,401)
    assert params(**{"fsta.compress_reduction": 16})[0] == reference + 4_949
    assert isinstance(model.backbone.stem_neuron.attention.compress, torch.nn.Conv2d)  # 49 -> 1
    first = model.backbone.blocks[0].neuron1.attention.compress
    assert [layer.out_channels for layer in first if isinstance(layer, torch.nn.Conv2d)] == [3, 1]  # 49 -> 3 -> 1


@pytest.mark.parametrize(
    "values,knob",
    [
        ({"fsta.dct_kernel": 4}, "fsta.dct_kernel"),
        ({"fsta.combination": "chain"}, "fsta.combination"),
        ({"fsta.compress_reduction": 0}, "fsta.compress_reduction"),
    ],
)
def test_bad_knobs_name_themselves(values, knob):
    with pytest.raises(KnobError) as error:
        resolve(values)
    assert error.value.problems[0][0] == knob and "allowed" in error.value.problems[0][1]


def test_fsta_sits_inside_every_lif_on_the_input_current():
    model = build_model({"backbone": "resnet20", "attention": "fsta", "timesteps": 2}, (3, 8, 8), 10)
    wrapped = [m for m in model.modules() if isinstance(m, AttentiveNeuron)]
    neurons = [m for m in model.modules() if isinstance(m, SpikingNeuron)]
    assert len(wrapped) == len(neurons) == 19  # 3 stem + 2 x 8 blocks
    assert all(list(m.children())[0] is m.attention and isinstance(m.attention, FSTA) for m in wrapped)
    model = build_model({"backbone": "resnet19", "attention": "fsta", "timesteps": 2}, (3, 8, 8), 10)
    assert sum(isinstance(m, FSTA) for m in model.modules()) == 17


def test_wrong_number_of_steps_is_refused():
    with pytest.raises(ValueError, match="T = 2"):
        FSTA(channels=2, timesteps=2, kernel=3)(torch.zeros(3, 1, 2, 4, 4))


def test_runs_under_bf16_autocast_close_to_fp32():
    torch.manual_seed(2)
    module = FSTA(channels=4, timesteps=2, kernel=7, combination="serial_channel")
    x = torch.randn(2, 2, 4, 9, 9)
    with torch.autocast("cpu", dtype=torch.bfloat16):
        low = module(x.bfloat16())
    assert torch.allclose(low.float(), module(x), rtol=0.05, atol=0.05)

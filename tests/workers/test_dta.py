"""DTA: T-XA, T-NA, their combination, parameter counts and the block through build_model (seed-spec 4)."""

import pytest
import torch
from torch import nn

from spikesweep.workers.attention.dta import (
    CrossAttention,
    DTABlock,
    NonIdenticalAttention,
    dilated_kernel,
    gtca_hidden,
    same_pad,
)
from spikesweep.workers.knobs import KnobError, resolve
from spikesweep.workers.model import build_model


def tensor(shape, seed=0):
    return torch.randn(shape, generator=torch.Generator().manual_seed(seed))


def spikes(shape, seed=1):
    return (tensor(shape, seed) > 0).float()


def count(module: nn.Module) -> int:
    return sum(p.numel() for p in module.parameters())


def tna_params(d: int, kernel: int = 7) -> int:
    dilated = dilated_kernel(kernel)[0] ** 2
    return 3 * (d * d + d) + (25 * d + d) + (dilated * d + d) + 2 * gtca_hidden(d) * d


def txa_params(t: int, c: int) -> int:
    return 3 * t * t + 6 * c * c + 2


def test_parameter_count_matches_seed_spec_4_8():
    # T-NA: 3(D^2 + D) + 26D + 2D + 2 * 16 * D; T-XA: 3T^2 + 6 * 64^2 + 2 (D = 64 T)
    for timesteps, expected, rounded in [(4, 237_362, 0.237), (6, 491_246, 0.491)]:
        d = 64 * timesteps
        assert 3 * (d * d + d) + 26 * d + 2 * d + 32 * d + 3 * timesteps**2 + 6 * 64**2 + 2 == expected
        assert count(DTABlock(timesteps, 64)) == expected
        assert round(expected / 1e6, 3) == rounded


@pytest.mark.parametrize(
    "branches,expected",
    [("txa", txa_params(4, 16)), ("tna", tna_params(64)), ("both", txa_params(4, 16) + tna_params(64))],
)
def test_branch_variants_have_only_their_branch(branches, expected):
    assert count(DTABlock(4, 16, branches)) == expected
    assert count(DTABlock(4, 16, branches, tna_kernel=21)) == expected + (
        0 if branches == "txa" else (49 - 1) * 64
    )  # the 7x7 dilated DW instead of the degenerate 1x1


def test_ltca_kernel_rule_and_gtca_width():
    assert dilated_kernel(7) == (1, 0) and dilated_kernel(21) == (7, 9)
    assert [gtca_hidden(d) for d in (64, 128, 256, 384, 640)] == [16] * 5
    assert gtca_hidden(32) == 8
    tna = NonIdenticalAttention(64, 21)
    assert tna.local[1].kernel_size == (7, 7) and tna.local[1].dilation == (3, 3)
    assert tna.local[0].kernel_size == (5, 5) and tna.local[0].groups == 64


@pytest.mark.filterwarnings("ignore:Using padding='same' with even kernel")
def test_same_padding_of_the_even_cla_kernel_pads_two_before_three_after():
    x = tensor((2, 5, 7))
    conv = nn.Conv1d(5, 5, 6, bias=False)
    reference = nn.Conv1d(5, 5, 6, padding="same", bias=False)
    reference.weight.data.copy_(conv.weight.data)
    assert torch.allclose(conv(same_pad(x, 6)), reference(x), atol=1e-6)
    with torch.no_grad():
        conv.weight.zero_()
        conv.weight[:, :, 0] = torch.eye(5)  # tap 0 reads x[t - 2]
    shifted = conv(same_pad(x, 6))
    assert shifted.shape == x.shape
    assert torch.equal(shifted[..., 2:], x[..., :-2]) and not shifted[..., :2].any()


@pytest.mark.filterwarnings("ignore:Using padding='same' with even kernel")
def test_cross_attention_known_answer():
    cross = CrossAttention(4, 8)
    features = tensor((2, 4, 8, 3, 3))
    nn.init.zeros_(cross.temporal.weight)
    nn.init.zeros_(cross.channel.weight)
    # sigmoid(0) = 1/2 and P_t = P_c = 1: (F + 1/2)(F + 1/2)
    assert torch.allclose(cross(features), (features + 0.5) ** 2)
    nn.init.normal_(cross.temporal.weight)
    nn.init.normal_(cross.channel.weight)
    with torch.no_grad():
        cross.scale_t.fill_(0.7)
        cross.scale_c.fill_(-0.4)
    pooled = features.mean((3, 4))
    attn_t = torch.sigmoid(nn.functional.conv1d(pooled, cross.temporal.weight, padding="same"))
    attn_c = torch.sigmoid(nn.functional.conv1d(pooled.transpose(1, 2), cross.channel.weight, padding="same"))
    expected = (features + 0.7 * attn_t[..., None, None]) * (features - 0.4 * attn_c.transpose(1, 2)[..., None, None])
    assert torch.allclose(cross(features), expected, atol=1e-6)


def test_non_identical_attention_is_residual_and_multiplies_three_maps():
    tna = NonIdenticalAttention(64, 7)
    x = tensor((2, 64, 5, 5))
    encoded = nn.functional.gelu(tna.encoding[0](x))
    local = tna.local[2](tna.local[1](tna.local[0](encoded)))
    glob = tna.glob[2](torch.relu(tna.glob[0](encoded.mean((2, 3)))))[:, :, None, None]
    assert torch.allclose(tna(x), tna.decoding(glob * local * encoded) + x, atol=1e-5)
    nn.init.zeros_(tna.decoding.weight)
    nn.init.zeros_(tna.decoding.bias)
    assert torch.equal(tna(x), x)


@pytest.mark.parametrize("branches", ["txa", "tna", "both"])
def test_block_gates_spikes_in_the_framework_layout(branches):
    steps, batch, channels = 3, 2, 8
    block = DTABlock(steps, channels, branches)
    current, fired = tensor((steps, batch, channels, 4, 4)), spikes((steps, batch, channels, 4, 4))
    out = block(current, fired)
    assert out.shape == current.shape
    features = current.transpose(0, 1)  # DTA's own [B, T, C, H, W], time-major channels for T-NA
    tna = lambda: block.non_identical(features.reshape(batch, steps * channels, 4, 4)).reshape(features.shape)
    attention = {"txa": lambda: block.cross(features), "tna": tna, "both": lambda: block.cross(features) * tna()}[
        branches
    ]()
    assert torch.allclose(out, (torch.sigmoid(attention) * fired.transpose(0, 1)).transpose(0, 1), atol=1e-6)
    assert not out[fired == 0].any() and (out[fired == 1] > 0).all()


def test_block_rejects_another_t_and_gradients_are_finite():
    block = DTABlock(4, 8)
    with pytest.raises(ValueError, match="timesteps = 4"):
        block(tensor((3, 2, 8, 4, 4)), spikes((3, 2, 8, 4, 4)))
    current = tensor((4, 2, 8, 4, 4)).requires_grad_()
    block(current, spikes((4, 2, 8, 4, 4))).sum().backward()
    assert torch.isfinite(current.grad).all() and current.grad.abs().sum() > 0
    assert all(p.grad is not None and torch.isfinite(p.grad).all() for p in block.parameters())


@pytest.mark.parametrize("timesteps", [1, 2, 4, 6])
def test_small_cnn_with_dta_trains_and_evaluates_deterministically(timesteps):
    torch.manual_seed(0)
    model = build_model({"attention": "dta", "timesteps": timesteps}, (1, 8, 8), 10)
    baseline = build_model({"timesteps": timesteps}, (1, 8, 8), 10)
    assert count(model) - count(baseline) == txa_params(timesteps, 32) + tna_params(32 * timesteps)
    x = tensor((5, 1, 8, 8), 4)
    model(x).logsumexp(1).sum().backward()
    assert all(p.grad is not None and torch.isfinite(p.grad).all() for p in model.parameters())
    model.eval()
    assert torch.equal(model(x), model(x))


def test_knobs():
    with pytest.raises(KnobError, match="dta.tna_kernel"):
        resolve({"attention": "dta", "dta.tna_kernel": 9})
    with pytest.raises(KnobError, match="dta.branches"):
        resolve({"attention": "dta", "dta.branches": "neither"})
    model = build_model({"attention": "dta", "dta.branches": "txa"}, (1, 8, 8), 10)
    assert model.backbone.stem_attention.non_identical is None

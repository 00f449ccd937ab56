"""Counting rules: syops formulas on nn modules, and the dispatcher's count of the same ops run functionally."""

import pytest
import torch
import torch.nn.functional as F
from torch import nn

from spikesweep.workers.energy.counter import count_model

X = torch.randn(2, 4, 6, 6)  # two images


class Functional(nn.Module):
    """Runs `module`'s op functionally (F.*) with the module's own weights, so that no syops hook sees it."""

    def __init__(self, module: nn.Module, call) -> None:
        super().__init__()
        self.module, self.call = module, call

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.call(self.module, x)


CASES = {  # module, its functional twin, syops FLOPs per image by hand
    "grouped conv + bias": (
        nn.Conv2d(4, 6, 3, padding=1, groups=2),
        lambda m, x: F.conv2d(x, m.weight, m.bias, padding=1, groups=2),
        9 * 2 * 6 * 36 + 6 * 36,
    ),
    "strided conv": (
        nn.Conv2d(4, 8, 3, stride=2, bias=False),
        lambda m, x: F.conv2d(x, m.weight, stride=2),
        9 * 4 * 8 * 4,
    ),
    "transposed conv": (
        nn.ConvTranspose2d(4, 2, 2, stride=2, bias=False),
        lambda m, x: F.conv_transpose2d(x, m.weight, stride=2),
        4 * 4 * 2 * 144,
    ),
    "batch norm": (
        nn.BatchNorm2d(4).eval(),
        lambda m, x: F.batch_norm(x, m.running_mean, m.running_var, m.weight, m.bias),
        2 * 4 * 36,
    ),
    "avg pool": (nn.AvgPool2d(2), lambda m, x: F.avg_pool2d(x, 2), 4 * 36),
    "max pool": (nn.MaxPool2d(3, 1, 1), lambda m, x: F.max_pool2d(x, 3, 1, 1), 4 * 36),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_module_and_functional_twin_count_the_same_flops(case):
    module, call, flops = CASES[case]
    paper = count_model(module, X).ops
    full = count_model(Functional(module, call), X).ops
    assert [(row.in_paper, row.flops, row.macs) for row in paper] == [(True, flops, flops)]
    synaptic = [row for row in full if row.op != "elementwise"]
    assert [(row.in_paper, row.flops, row.macs) for row in synaptic] == [(False, flops, flops)]


def test_linear_bias_is_once_per_call_for_syops_and_once_per_row_at_the_dispatcher():
    linear = nn.Linear(5, 3)
    x = torch.randn(4, 7, 5)  # 4 images x 7 rows
    paper = count_model(linear, x).ops
    full = count_model(Functional(linear, lambda m, v: F.linear(v, m.weight, m.bias)), x).ops
    assert paper[0].flops == (4 * 7 * 5 * 3 + 3) / 4
    assert sum(row.flops for row in full if row.op == "matmul") == (4 * 7 * 5 * 3 + 4 * 7 * 3) / 4


def test_functional_attention_products_are_counted():
    q, k, v = (torch.randn(2, 3, 5, 4) for _ in range(3))  # batch 2, 3 heads, 5 tokens, 4 features
    model = Functional(nn.Identity(), lambda m, x: torch.softmax(x @ k.transpose(-1, -2), -1) @ v)
    rows = count_model(model, q).ops
    matmul = sum(row.flops for row in rows if row.op == "matmul")
    assert matmul == (3 * 5 * 5 * 4) * 2  # Q K^T and A V per image
    assert sum(row.elementwise for row in rows) == 3 * 5 * 5  # softmax, per image

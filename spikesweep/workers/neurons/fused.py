"""`lif_impl: fused`: the multi-step LIF (charge -> fire -> reset over all T) as one autograd op.

u_t = decay * h_{t-1} + x_t; s_t = H(u_t - threshold); h_t = u_t (1 - s_t) (hard) or u_t - threshold s_t (soft),
with the surrogate gradient flowing through the reset, exactly as the eager neurons compute it. One op holds the
whole T loop, forward and backward (BPTT written out), and saves only the membrane `u` for the backward, where the
eager loop leaves ~7 autograd nodes and their saved tensors per step.

Implementations, chosen per call:
- CUDA with Triton installed, outside `torch.compile`: one Triton kernel for the forward and one for the backward,
  each looping over T in registers (fp32 inside, whatever the input dtype);
- under `torch.compile`: the torch loop below, which Inductor traces and fuses (no graph break);
- otherwise (CPU): the torch loop, eagerly, without autograd bookkeeping. In fp32 it runs the same float ops in the
  same order as the eager neurons, so spikes and membranes are bit-equal; gradients agree to float tolerance
  (the sums are associated differently).
"""

from __future__ import annotations

import math

import torch
from torch.utils._python_dispatch import _get_current_dispatch_mode

from .base import SURROGATE_SHAPES

try:  # Triton ships with CUDA builds of torch only
    import triton
    import triton.language as tl
except ImportError:  # pragma: no cover - depends on the install
    triton = None

HAS_TRITON = triton is not None
SHAPE_CODES = {"rectangle": 0, "triangle": 1, "sigmoid": 2, "atan": 3, "tanh_window": 4}
TANH_WINDOW_SCALE = 1.0 / (2.0 * math.tanh(0.5))  # FSTA's window at sharpness 1 (see base._tanh_window)
BLOCK = 1024


def ops_are_counted() -> bool:
    """True while a dispatch mode watches every aten op (the energy counter): fused neurons then run the eager
    reference loop, so that counted ops never depend on `lif_impl`."""
    if torch.compiler.is_compiling():
        return False
    return _get_current_dispatch_mode() is not None


def lif_multistep(
    current: torch.Tensor,
    decay: float | torch.Tensor,
    threshold: float,
    hard_reset: bool,
    surrogate: str,
    width: float,
    return_membrane: bool = False,
):
    """Spikes `[T, B, ...]` of a LIF driven by `current`; `decay` is a number or a tensor broadcasting against one
    step `[B, ...]` (e.g. STAA's learnable per-channel leak, which then gets its gradient).

    With `return_membrane`, also the membrane before the reset at every step (not differentiable).
    """
    SURROGATE_SHAPES.get(surrogate)  # a clear error for an unknown name, before any work
    decay_tensor = decay if isinstance(decay, torch.Tensor) else None
    decay_value = 0.0 if decay_tensor is not None else float(decay)
    spikes, membrane = _FusedLIF.apply(
        current, decay_tensor, decay_value, float(threshold), bool(hard_reset), surrogate, float(width)
    )
    return (spikes, membrane) if return_membrane else spikes


class _FusedLIF(torch.autograd.Function):
    @staticmethod
    def forward(ctx, current, decay_tensor, decay_value, threshold, hard, surrogate, width):
        decay = decay_tensor if decay_tensor is not None else decay_value
        if _use_triton(current):
            spikes, membrane = _forward_triton(current, decay_tensor, decay_value, threshold, hard)
        else:
            spikes, membrane = _forward_torch(current, decay, threshold, hard)
        ctx.save_for_backward(membrane, decay_tensor)
        ctx.params = (decay_value, threshold, hard, surrogate, width)
        ctx.mark_non_differentiable(membrane)
        return spikes, membrane

    @staticmethod
    def backward(ctx, grad_spikes, grad_membrane):
        membrane, decay_tensor = ctx.saved_tensors
        decay_value, threshold, hard, surrogate, width = ctx.params
        need_decay = decay_tensor is not None and ctx.needs_input_grad[1]
        if _use_triton(grad_spikes) and surrogate in SHAPE_CODES:
            grad_x, grad_decay = _backward_triton(
                grad_spikes, membrane, decay_tensor, decay_value, threshold, hard, surrogate, width, need_decay
            )
        else:
            decay = decay_tensor if decay_tensor is not None else decay_value
            grad_x, grad_decay = _backward_torch(
                grad_spikes, membrane, decay, threshold, hard, surrogate, width, need_decay
            )
        if need_decay:
            grad_decay = grad_decay.sum_to_size(decay_tensor.shape).to(decay_tensor.dtype)
        return grad_x, grad_decay, None, None, None, None, None


def _use_triton(like: torch.Tensor) -> bool:
    return HAS_TRITON and like.is_cuda and not torch.compiler.is_compiling()


def _forward_torch(current: torch.Tensor, decay, threshold: float, hard: bool):
    """The eager neurons' float ops, step by step (see `generic.LIF.forward`), without autograd."""
    with torch.no_grad():
        h = torch.zeros_like(current[0])
        spikes, membranes = [], []
        for x in current:
            v = decay * h + x
            s = (v - threshold > 0).to(current.dtype)
            h = v * (1 - s) if hard else v - s * threshold
            spikes.append(s)
            membranes.append(v)
        return torch.stack(spikes), torch.stack(membranes)


def _backward_torch(
    grad_spikes: torch.Tensor,
    membrane: torch.Tensor,
    decay,
    threshold: float,
    hard: bool,
    surrogate: str,
    width: float,
    need_decay: bool,
):
    """BPTT of `_forward_torch`: dL/dx_t and, if asked, dL/ddecay per element (summed over T)."""
    shape = SURROGATE_SHAPES.get(surrogate)
    with torch.no_grad():
        grads = []
        grad_h = None
        grad_decay = torch.zeros_like(membrane[0]) if need_decay else None
        for t in range(membrane.shape[0] - 1, -1, -1):
            v = membrane[t]
            surrogate_grad = shape(v - threshold, width)
            grad_v = grad_spikes[t] * surrogate_grad
            if grad_h is not None:
                if hard:
                    s = (v - threshold > 0).to(v.dtype)
                    grad_v = grad_v + grad_h * ((1 - s) - v * surrogate_grad)
                else:
                    grad_v = grad_v + grad_h * (1 - threshold * surrogate_grad)
            grads.append(grad_v)
            if grad_decay is not None and t > 0:
                grad_decay = grad_decay + grad_v * _reset(membrane[t - 1], threshold, hard)
            grad_h = decay * grad_v
        grads.reverse()
        return torch.stack(grads).to(grad_spikes.dtype), grad_decay


def _reset(v: torch.Tensor, threshold: float, hard: bool) -> torch.Tensor:
    s = (v - threshold > 0).to(v.dtype)
    return v * (1 - s) if hard else v - s * threshold


# ---- Triton (CUDA): one program per BLOCK neurons, looping over T in registers. Untested where no GPU is at hand.
if HAS_TRITON:  # pragma: no cover - needs a CUDA device

    @triton.jit
    def _surrogate_grad(x, width, scale, SHAPE: tl.constexpr):
        if SHAPE == 0:  # rectangle
            g = tl.where(tl.abs(x) < width * 0.5, 1.0, 0.0) / width
        elif SHAPE == 1:  # triangle
            g = tl.maximum(1.0 - tl.abs(x) / width, 0.0) / width
        elif SHAPE == 2:  # sigmoid
            alpha = 4.0 / width
            sig = tl.sigmoid(alpha * x)
            g = alpha * sig * (1.0 - sig)
        elif SHAPE == 3:  # atan
            alpha = 2.0 / width
            u = 1.5707963267948966 * alpha * x
            g = alpha * 0.5 / (1.0 + u * u)
        else:  # FSTA's tanh window, sharpness 1: sech^2(z) / (2 tanh(1/2)) / width on |z| <= 1/2, z = x / width
            z = x / width
            e = tl.exp(z)
            sech = 2.0 / (e + 1.0 / e)
            g = tl.where(tl.abs(z) <= 0.5, sech * sech, 0.0) * scale / width
        return g

    @triton.jit(do_not_specialize=["n", "steps"])
    def _lif_forward_kernel(
        x_ptr,
        decay_ptr,
        s_ptr,
        v_ptr,
        n,
        steps,
        decay_value,
        threshold,
        PER_ELEMENT: tl.constexpr,
        HARD: tl.constexpr,
        BLOCK_SIZE: tl.constexpr,
    ):
        offs = tl.program_id(0).to(tl.int64) * BLOCK_SIZE + tl.arange(0, BLOCK_SIZE)
        mask = offs < n
        if PER_ELEMENT:
            decay = tl.load(decay_ptr + offs, mask=mask, other=0.0).to(tl.float32)
        else:
            decay = decay_value
        h = tl.zeros([BLOCK_SIZE], dtype=tl.float32)
        n64 = n.to(tl.int64)
        for t in range(steps):
            at = t * n64 + offs
            x = tl.load(x_ptr + at, mask=mask, other=0.0).to(tl.float32)
            v = decay * h + x
            s = tl.where(v - threshold > 0.0, 1.0, 0.0)
            if HARD:
                h = v * (1.0 - s)
            else:
                h = v - s * threshold
            tl.store(s_ptr + at, s.to(s_ptr.dtype.element_ty), mask=mask)
            tl.store(v_ptr + at, v, mask=mask)

    @triton.jit(do_not_specialize=["n", "steps"])
    def _lif_backward_kernel(
        gs_ptr,
        v_ptr,
        decay_ptr,
        gx_ptr,
        gd_ptr,
        n,
        steps,
        decay_value,
        threshold,
        width,
        scale,
        PER_ELEMENT: tl.constexpr,
        HARD: tl.constexpr,
        SHAPE: tl.constexpr,
        NEED_DECAY: tl.constexpr,
        BLOCK_SIZE: tl.constexpr,
    ):
        offs = tl.program_id(0).to(tl.int64) * BLOCK_SIZE + tl.arange(0, BLOCK_SIZE)
        mask = offs < n
        if PER_ELEMENT:
            decay = tl.load(decay_ptr + offs, mask=mask, other=0.0).to(tl.float32)
        else:
            decay = decay_value
        grad_h = tl.zeros([BLOCK_SIZE], dtype=tl.float32)
        grad_decay = tl.zeros([BLOCK_SIZE], dtype=tl.float32)
        n64 = n.to(tl.int64)
        for i in range(steps):
            t = steps - 1 - i
            at = t * n64 + offs
            v = tl.load(v_ptr + at, mask=mask, other=0.0)
            gs = tl.load(gs_ptr + at, mask=mask, other=0.0).to(tl.float32)
            x = v - threshold
            sg = _surrogate_grad(x, width, scale, SHAPE)
            if HARD:
                s = tl.where(x > 0.0, 1.0, 0.0)
                grad_v = gs * sg + grad_h * ((1.0 - s) - v * sg)
            else:
                grad_v = gs * sg + grad_h * (1.0 - threshold * sg)
            tl.store(gx_ptr + at, grad_v.to(gx_ptr.dtype.element_ty), mask=mask)
            if NEED_DECAY:
                previous = mask & (t > 0)
                vp = tl.load(v_ptr + at - n64, mask=previous, other=0.0)
                sp = tl.where(vp - threshold > 0.0, 1.0, 0.0)
                if HARD:
                    hp = vp * (1.0 - sp)
                else:
                    hp = vp - sp * threshold
                grad_decay += grad_v * hp
            grad_h = decay * grad_v
        if NEED_DECAY:
            tl.store(gd_ptr + offs, grad_decay, mask=mask)


def _decay_elements(decay_tensor: torch.Tensor | None, like: torch.Tensor) -> torch.Tensor | None:
    if decay_tensor is None:
        return None
    return decay_tensor.detach().to(torch.float32).expand_as(like).contiguous()


def _forward_triton(current, decay_tensor, decay_value, threshold, hard):  # pragma: no cover - needs CUDA
    x = current.contiguous()
    n = x[0].numel()
    spikes = torch.empty_like(x)
    membrane = torch.empty(x.shape, dtype=torch.float32, device=x.device)
    decay = _decay_elements(decay_tensor, x[0])
    grid = (triton.cdiv(n, BLOCK),)
    _lif_forward_kernel[grid](
        x,
        decay if decay is not None else membrane,
        spikes,
        membrane,
        n,
        x.shape[0],
        decay_value,
        threshold,
        PER_ELEMENT=decay is not None,
        HARD=hard,
        BLOCK_SIZE=BLOCK,
    )
    return spikes, membrane


def _backward_triton(
    grad_spikes, membrane, decay_tensor, decay_value, threshold, hard, surrogate, width, need_decay
):  # pragma: no cover - needs CUDA
    gs = grad_spikes.contiguous()
    n = membrane[0].numel()
    grad_x = torch.empty_like(gs)
    grad_decay = torch.empty(membrane.shape[1:], dtype=torch.float32, device=gs.device) if need_decay else None
    decay = _decay_elements(decay_tensor, membrane[0])
    grid = (triton.cdiv(n, BLOCK),)
    _lif_backward_kernel[grid](
        gs,
        membrane,
        decay if decay is not None else membrane,
        grad_x,
        grad_decay if grad_decay is not None else membrane,
        n,
        membrane.shape[0],
        decay_value,
        threshold,
        width,
        TANH_WINDOW_SCALE,
        PER_ELEMENT=decay is not None,
        HARD=hard,
        SHAPE=SHAPE_CODES[surrogate],
        NEED_DECAY=need_decay,
        BLOCK_SIZE=BLOCK,
    )
    return grad_x, grad_decay

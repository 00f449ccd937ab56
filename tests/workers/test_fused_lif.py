"""`lif_impl: fused` (spikesweep/workers/neurons/fused.py) against the eager neurons: same spikes, membranes and
gradients, for every paper preset, T in {1, 4}; the same energy counts; no graph break under torch.compile."""

import pytest
import torch

from spikesweep.workers import NEURONS, build_model
from spikesweep.workers.energy.counter import measure_energy
from spikesweep.workers.knobs import resolve
from spikesweep.workers.neurons.base import SURROGATES
from spikesweep.workers.neurons.fused import HAS_TRITON, lif_multistep
from spikesweep.workers.neurons.generic import LIF
from spikesweep.workers.neurons.staa import AdaptiveLIF

CHANNELS = 4
PRESETS = ["fsta", "dta", "generic", "staa"]


def pair(name: str, **knobs):
    """(eager, fused) neurons of one preset with the same parameters."""
    eager = NEURONS.get(name)(resolve({"neuron": name, **knobs}), CHANNELS)
    fused = NEURONS.get(name)(resolve({"neuron": name, "lif_impl": "fused", **knobs}), CHANNELS)
    fused.load_state_dict(eager.state_dict())
    assert fused.fused and not eager.fused
    return eager, fused


def random_current(steps: int, scale: float, seed: int = 0) -> torch.Tensor:
    generator = torch.Generator().manual_seed(seed)
    return torch.randn(steps, 3, CHANNELS, 5, 5, generator=generator) * scale + 0.3


def compare(eager, fused, current: torch.Tensor) -> None:
    x_eager = current.clone().requires_grad_()
    x_fused = current.clone().requires_grad_()
    spikes_eager, spikes_fused = eager(x_eager), fused(x_fused)
    assert torch.equal(spikes_eager, spikes_fused)
    assert 0.02 < spikes_eager.mean() < 0.98  # both spiking and silent neurons are exercised
    weights = torch.randn(spikes_eager.shape, generator=torch.Generator().manual_seed(1)).to(current.device)
    (spikes_eager * weights).sum().backward()
    (spikes_fused * weights).sum().backward()
    torch.testing.assert_close(x_fused.grad, x_eager.grad, rtol=1e-5, atol=1e-6)
    for p_eager, p_fused in zip(eager.parameters(), fused.parameters()):
        torch.testing.assert_close(p_fused.grad, p_eager.grad, rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("steps", [1, 4])
@pytest.mark.parametrize("name", PRESETS)
def test_fused_preset_matches_eager(name, steps):
    scale = 12.0 if name == "staa" else 1.5  # STAA's N = 0.1 scales the input down
    compare(*pair(name), random_current(steps, scale, seed=steps))


@pytest.mark.parametrize("surrogate", SURROGATES.names())
@pytest.mark.parametrize("reset", ["hard", "soft"])
def test_fused_generic_matches_eager_for_every_surrogate_and_reset(surrogate, reset):
    knobs = {
        "neuron.surrogate": surrogate,
        "neuron.reset": reset,
        "neuron.decay": 0.9,
        "neuron.threshold": 0.7,
        "neuron.surrogate_width": 1.3,
    }
    compare(*pair("generic", **knobs), random_current(4, 1.5))


def test_fused_staa_tau_style_leak_gets_its_gradient():
    eager = AdaptiveLIF(CHANNELS, m_init=3.0, n_init=0.5, lif_param="tau_style")
    fused = AdaptiveLIF(CHANNELS, m_init=3.0, n_init=0.5, lif_param="tau_style", fused=True)
    with torch.no_grad():
        eager.coefficients.m.uniform_(1.5, 4.0, generator=torch.Generator().manual_seed(2))
    fused.load_state_dict(eager.state_dict())
    compare(eager, fused, random_current(4, 3.0))
    assert fused.coefficients.m.grad.abs().sum() > 0


def reference_membranes(neuron: LIF, current: torch.Tensor) -> torch.Tensor:
    """The eager loop's membrane before each reset, written out."""
    membrane, out = torch.zeros_like(current[0]), []
    for x in current:
        membrane = neuron.decay * membrane + x
        out.append(membrane)
        s = (membrane - neuron.threshold > 0).to(membrane.dtype)
        membrane = membrane * (1 - s) if neuron.reset == "hard" else membrane - s * neuron.threshold
    return torch.stack(out)


@pytest.mark.parametrize("name", ["fsta", "dta", "generic"])
def test_fused_membrane_is_bit_equal_in_fp32(name):
    neuron = pair(name)[0]
    current = random_current(4, 1.5)
    _, membrane = lif_multistep(
        current,
        neuron.decay,
        neuron.threshold,
        neuron.reset == "hard",
        neuron.surrogate,
        neuron.width,
        return_membrane=True,
    )
    assert torch.equal(membrane, reference_membranes(neuron, current))


def test_unknown_surrogate_is_a_clear_error():
    with pytest.raises(KeyError, match="surrogate"):
        lif_multistep(torch.zeros(2, 1), 0.5, 1.0, True, "nope", 1.0)


@pytest.mark.parametrize("attention,neuron", [("none", "fsta"), ("dta", "dta"), ("fsta", "fsta")])
def test_energy_counts_do_not_depend_on_the_implementation(attention, neuron):
    knobs = {"attention": attention, "neuron": neuron, "timesteps": 2}
    eager = build_model(knobs, (1, 8, 8), 10)
    fused = build_model({**knobs, "lif_impl": "fused"}, (1, 8, 8), 10)
    fused.load_state_dict(eager.state_dict())
    inputs = torch.rand(4, 1, 8, 8, generator=torch.Generator().manual_seed(0))
    config = resolve(knobs)
    assert measure_energy(fused, inputs, config).metrics() == measure_energy(eager, inputs, config).metrics()


@pytest.mark.parametrize("name", PRESETS)
@pytest.mark.parametrize("impl", ["eager", "fused"])
def test_neurons_trace_without_graph_breaks(name, impl):
    neuron = NEURONS.get(name)(resolve({"neuron": name, "lif_impl": impl}), CHANNELS)
    explanation = torch._dynamo.explain(neuron)(random_current(4, 1.5).requires_grad_())
    torch._dynamo.reset()
    assert explanation.graph_break_count == 0 and explanation.graph_count == 1


@pytest.mark.parametrize("attention", ["none", "fsta", "dta"])
def test_whole_model_traces_as_one_graph(attention):
    model = build_model({"attention": attention, "neuron": "fsta", "timesteps": 4, "lif_impl": "fused"}, (1, 8, 8), 10)
    explanation = torch._dynamo.explain(model)(torch.rand(2, 1, 8, 8))
    torch._dynamo.reset()
    assert explanation.graph_break_count == 0


@pytest.mark.skipif(not (HAS_TRITON and torch.cuda.is_available()), reason="the Triton kernels need CUDA + Triton")
@pytest.mark.parametrize("surrogate", SURROGATES.names())
@pytest.mark.parametrize("steps", [1, 4])
def test_triton_kernels_match_the_torch_loop(surrogate, steps):  # pragma: no cover - needs a GPU
    eager = LIF(0.25, 0.5, "hard", surrogate, 1.0)
    fused = LIF(0.25, 0.5, "hard", surrogate, 1.0, fused=True)
    current = random_current(steps, 1.5).cuda()
    compare(eager, fused, current)
    staa_eager, staa_fused = AdaptiveLIF(CHANNELS).cuda(), AdaptiveLIF(CHANNELS, fused=True).cuda()
    staa_fused.load_state_dict(staa_eager.state_dict())
    compare(staa_eager, staa_fused, random_current(steps, 12.0).cuda())

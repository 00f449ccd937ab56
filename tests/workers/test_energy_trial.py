"""run_trial reports both accountings, firing rates and the per-layer table, and the counts re-score exactly."""

import json

import pytest

from spikesweep.workers import run_trial
from spikesweep.workers.energy import rescore

FAST = {"epochs": 1, "timesteps": 2, "optimizer": "adam", "lr": 0.01, "batch_size": 128, "energy.samples": 16}


def test_trial_metrics_carry_raw_counts_that_rescore_to_the_reported_energy():
    reports = []
    final = run_trial({**FAST, "energy.preset": "horowitz45_fp16", "energy.accounting": "full"}, reports.append)
    for name in ("paper", "full"):
        assert final[f"ops_{name}_flops"] >= final[f"ops_{name}_acs"] + final[f"ops_{name}_macs"] > 0
    assert final["ops_full_flops"] >= final["ops_paper_flops"] and final["ops_full_elementwise"] > 0
    assert 0 < final["firing_rate"] < 1 and 0 < final["firing_rate_weighted"] < 1
    assert final["energy_mj"] == pytest.approx(rescore(final, "horowitz45_fp16", "full"), rel=1e-12)
    table = json.loads(json.dumps(final["energy_layers"]))  # a plain list of dicts, logged as an artifact
    assert rescore(table, "horowitz45_fp32", "paper") == pytest.approx(rescore(final, "horowitz45_fp32", "paper"))
    assert {row["layer"] for row in table if row["kind"] == "neuron"} == {"backbone.stem_neuron", "backbone.neuron2"}

"""Every built-in study file's scaled-down default runs end to end (1 epoch, 1 seed, a small search budget)."""

from __future__ import annotations

from importlib import resources

import pytest
import yaml

from spikesweep.platform.cli import main
from spikesweep.platform.stores.registry import Registry

pytestmark = [pytest.mark.integration, pytest.mark.slow]

NAMES = sorted(
    p.name[:-5] for p in resources.files("spikesweep").joinpath("search_spaces").iterdir() if p.name.endswith(".yaml")
)


@pytest.mark.parametrize("name", NAMES)
def test_builtin_space_runs(ray_session, home, name, capsys, tmp_path, monkeypatch):
    document = yaml.safe_load(resources.files("spikesweep").joinpath("search_spaces", f"{name}.yaml").read_text())
    budget = ["--n-trials", "2"] if document["design"]["kind"] == "search" else []
    epochs = max(1, (document.get("scheduler") or {}).get("grace_epochs", 1))  # ASHA needs grace <= epochs
    monkeypatch.chdir(tmp_path)  # no search_spaces/ here: `submit NAME` finds the built-in study, as after pip install
    status = main(["submit", name, "--set", f"epochs={epochs}", "--set", "energy.samples=16", "--seeds", "0", *budget])
    out = capsys.readouterr().out
    assert status == 0, out
    registry = Registry(home.registry_uri)
    trials = registry.trials(name)
    assert registry.get_study(name).status == "completed"
    registry.close()
    assert trials and all(t.state == "COMPLETE" for t in trials)
    assert all(t.seed == 0 and t.config["epochs"] == epochs for t in trials)
    assert "ablation report" in out

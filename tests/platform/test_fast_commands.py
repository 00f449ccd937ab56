"""The fast commands load neither torch nor Ray, MLflow or Optuna (each checked in a fresh interpreter), and the
torch-free knob schema is the same one the trial side uses."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
HEAVY = {"torch", "ray", "mlflow", "optuna"}
RUN_AND_REPORT = (
    "import json, runpy, sys\n"
    "sys.argv = ['spikesweep', *json.loads(sys.argv[1])]\n"
    "try:\n"
    "    runpy.run_module('spikesweep', run_name='__main__')\n"
    "except SystemExit as done:\n"
    "    code = done.code\n"
    "print('MODULES=' + json.dumps(sorted({m.split('.')[0] for m in sys.modules})), file=sys.stderr)\n"
    "sys.exit(code)\n"
)


def loaded_by(args: list[str], home: Path) -> tuple[int, set[str], str]:
    env = {**os.environ, "PYTHONPATH": str(ROOT), "SPIKESWEEP_HOME": str(home)}
    done = subprocess.run(
        [sys.executable, "-c", RUN_AND_REPORT, json.dumps(args)], env=env, cwd=ROOT, capture_output=True, text=True
    )
    line = next(line for line in done.stderr.splitlines() if line.startswith("MODULES="))
    return done.returncode, set(json.loads(line[len("MODULES=") :])), done.stdout


def test_validate_of_a_builtin_file_loads_no_torch_ray_mlflow_or_optuna(tmp_path):
    code, modules, out = loaded_by(["validate", str(ROOT / "search_spaces" / "fsta_kernel.yaml")], tmp_path)
    assert code == 0 and "ok: study 'fsta_kernel'" in out
    assert not modules & HEAVY, modules & HEAVY


@pytest.mark.parametrize(
    ("args", "status"),
    [
        (["--help"], 0),
        (["list"], 0),
        (["status"], 0),
        (["knobs", "staa"], 0),
        (["spaces"], 0),
        (["schema"], 0),
        (["export", "nosuch", "--out", "x"], 2),  # a missing study is a user error
    ],
)
def test_the_other_fast_commands_load_none_of_them_either(tmp_path, args, status):
    code, modules, _ = loaded_by(args, tmp_path)
    assert code == status
    assert not modules & HEAVY, (args, modules & HEAVY)


def test_the_torch_free_schema_names_the_same_surrogates_as_the_neurons():
    from spikesweep.workers.neurons.base import SURROGATES
    from spikesweep.workers.neurons.presets_schema import SURROGATE_NAMES

    assert SURROGATES.names() == SURROGATE_NAMES

"""`spikesweep schema`: a JSON Schema of the study file from the knob schema; every built-in file names it in its
first line and validates against it (with the `jsonschema` package); the committed copies are current."""

from __future__ import annotations

import copy
import json
from importlib import resources
from pathlib import Path

import jsonschema
import pytest
import yaml

from spikesweep.platform.cli import main
from spikesweep.platform.cli.commands.spaces import builtin_names, builtin_text
from spikesweep.platform.study.json_schema import SCHEMA_FILE, study_schema

ROOT = Path(__file__).resolve().parents[2]
HEADER = f"# yaml-language-server: $schema=./{SCHEMA_FILE}"


@pytest.fixture(scope="module")
def validator():
    schema = study_schema()
    jsonschema.Draft202012Validator.check_schema(schema)
    return jsonschema.Draft202012Validator(schema)


def test_the_command_prints_the_schema_with_each_knobs_type_domain_and_description(capsys):
    assert main(["schema"]) == 0
    schema = json.loads(capsys.readouterr().out)
    knobs = schema["$defs"]["knob"]
    assert knobs["fsta.dct_kernel"]["type"] == "integer" and knobs["fsta.dct_kernel"]["minimum"] == 1
    assert (
        "odd" in knobs["fsta.dct_kernel"]["description"]
        and "attention in ['fsta']" in knobs["fsta.dct_kernel"]["description"]
    )
    assert knobs["fsta.combination"]["enum"] == ["serial", "parallel", "serial_channel"]
    assert knobs["lr"] == {
        "type": "number",
        "minimum": 1e-08,
        "maximum": 10.0,
        "description": "peak learning rate",
        "default": 0.1,
    }
    assert "small_cnn" in knobs["backbone"]["enum"] and knobs["channels_last"]["type"] == "boolean"


@pytest.mark.parametrize("name", builtin_names())
def test_every_builtin_file_names_the_schema_and_validates_against_it(validator, name):
    text = builtin_text(name)
    assert text.splitlines()[0] == HEADER
    errors = [f"{list(e.path)}: {e.message}" for e in validator.iter_errors(yaml.safe_load(text))]
    assert errors == []


def test_bad_files_fail_the_schema_where_the_validator_fails_them(validator):
    document = yaml.safe_load(builtin_text("fsta_kernel"))
    cases = {
        ("base", "timestepz"): 3,  # unknown knob
        ("base", "epochs"): 0,  # below the range
        ("base", "fsta.combination"): "diagonal",  # not a choice
        ("design", "kind"): "lattice",  # not a design
    }
    for (section, key), value in cases.items():
        bad = copy.deepcopy(document)
        bad[section][key] = value
        assert list(validator.iter_errors(bad)), (section, key, value)
    bad = copy.deepcopy(document)
    bad["design"]["arms"][0]["set"] = {"fsta.dct_kernel": "three"}
    assert list(validator.iter_errors(bad))


def test_the_committed_schema_files_are_what_the_command_prints():
    current = study_schema()
    installed = resources.files("spikesweep").joinpath("search_spaces", SCHEMA_FILE).read_text(encoding="utf-8")
    assert json.loads(installed) == current
    assert json.loads((ROOT / "search_spaces" / SCHEMA_FILE).read_text(encoding="utf-8")) == current

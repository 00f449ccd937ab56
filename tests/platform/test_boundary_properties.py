"""Property-based tests of the input boundary: generated study files (structured mutations of the built-in ones,
random YAML, random bytes) fed to `spikesweep validate` in-process end with exit 0 or 2, never an exception,
within a deadline per example, and never write the home."""

from __future__ import annotations

import contextlib
import io
import os
import tempfile
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from spikesweep.platform.cli import main

ROOT = Path(__file__).resolve().parents[2]
BUILTINS = {path.name: yaml.safe_load(path.read_text()) for path in sorted((ROOT / "search_spaces").glob("*.yaml"))}
WORK = Path(tempfile.mkdtemp(prefix="spikesweep-props-"))
HOME = WORK / "home"
PROPERTY = settings(
    max_examples=int(os.environ.get("SPIKESWEEP_PROPERTY_EXAMPLES", "40")),
    deadline=timedelta(seconds=5),
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    derandomize=True,
    database=None,
)

scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(10**40), max_value=10**40),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=30),
    st.sampled_from(["yes", "off", "1:30", "auto", "~nosuchuser/x", "../..", "a\x00b", "grid", "search", "tpe"]),
)
values = st.recursive(
    scalars,
    lambda children: st.one_of(
        st.lists(children, max_size=5), st.dictionaries(st.one_of(st.text(max_size=12), scalars), children, max_size=5)
    ),
    max_leaves=20,
)


def validate(data: bytes) -> int:
    """Exit status of `spikesweep validate` on a file holding `data` (an exception fails the test)."""
    path = WORK / "study.yaml"
    path.write_bytes(data)
    with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()) as err:
        try:
            status = main(["--home", str(HOME), "validate", str(path)])
        except SystemExit as exit_:  # argparse's own exit
            status = int(exit_.code or 0)
    assert "Traceback" not in err.getvalue()
    assert not HOME.exists()
    return status


@pytest.fixture(scope="module", autouse=True)
def warm_imports() -> None:
    """One validation first, so that the first example's deadline does not pay for importing the knob schema."""
    validate(yaml.safe_dump(BUILTINS["quickstart.yaml"]).encode())


def _paths(data: Any, prefix: tuple = ()) -> list[tuple]:
    found = [prefix]
    if isinstance(data, dict):
        for key, value in data.items():
            found += _paths(value, (*prefix, key))
    elif isinstance(data, list):
        for i, value in enumerate(data):
            found += _paths(value, (*prefix, i))
    return found


def _replace(data: Any, path: tuple, value: Any) -> Any:
    if not path:
        return value
    head, *rest = path
    copy = dict(data) if isinstance(data, dict) else list(data)
    copy[head] = _replace(copy[head], tuple(rest), value)
    return copy


@st.composite
def mutated_builtins(draw: st.DrawFn) -> bytes:
    """A built-in study with 1-3 values replaced by generated ones, or a key deleted, dumped back to YAML."""
    data: Any = BUILTINS[draw(st.sampled_from(sorted(BUILTINS)))]
    for _ in range(draw(st.integers(1, 3))):
        paths = _paths(data)
        path = draw(st.sampled_from(paths))
        if path and draw(st.booleans()) and isinstance(data, dict) and len(path) == 1:
            data = {k: v for k, v in data.items() if k != path[0]}
        else:
            data = _replace(data, path, draw(values))
    return yaml.safe_dump(data, allow_unicode=draw(st.booleans()), sort_keys=False).encode()


@st.composite
def spliced_builtins(draw: st.DrawFn) -> bytes:
    """A built-in study's bytes with random bytes spliced in (stray, non-UTF-8, YAML syntax characters)."""
    text = yaml.safe_dump(BUILTINS[draw(st.sampled_from(sorted(BUILTINS)))], sort_keys=False).encode()
    at = draw(st.integers(0, len(text)))
    junk = draw(st.one_of(st.binary(max_size=8), st.sampled_from([b"\xe9", b"\x00", b": [", b"&a", b"*a", b"\n  x"])))
    return text[:at] + junk + text[at + draw(st.integers(0, 4)) :]


@PROPERTY
@given(mutated_builtins())
def test_mutated_builtin_files_exit_0_or_2(data: bytes) -> None:
    assert validate(data) in (0, 2)


@PROPERTY
@given(spliced_builtins())
def test_spliced_bytes_exit_0_or_2(data: bytes) -> None:
    assert validate(data) in (0, 2)


@PROPERTY
@given(st.one_of(st.binary(max_size=300), values.map(lambda v: yaml.safe_dump(v).encode())))
def test_random_bytes_and_yaml_exit_0_or_2(data: bytes) -> None:
    assert validate(data) in (0, 2)


def test_builtin_files_validate() -> None:
    for name, data in BUILTINS.items():
        assert validate(yaml.safe_dump(data, sort_keys=False).encode()) == 0, name

"""Fuzz the input boundary: generate N malformed study files in the categories of issue 10 and feed each to
`spikesweep validate` in-process; print files tried, exit 0 / 2 / other, tracebacks and the slowest file.

    PYTHONPATH=$PWD python benchmarks/fuzz_boundary.py --n 850 --seed 0 [--keep DIR] [--submit-every 0]

Every file must end with exit 0 or 2; a traceback (any exception out of main) or another status is a finding.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import random
import sys
import tempfile
import time
import traceback
from collections import Counter
from collections.abc import Callable
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
BUILTINS = sorted((ROOT / "search_spaces").glob("*.yaml"))
GOOD = "study: s\nbase: {epochs: 1}\ndesign: {kind: grid, factors: {timesteps: [1, 2]}}\n"
FLOAT_FIELDS = ["resources.gpu", "resources.cpu", "scheduler.reduction_factor", "base.lr", "base.momentum"]


def builtin(rng: random.Random) -> str:
    return rng.choice(BUILTINS).read_text()


def _set_path(data: dict, path: str, value: object) -> None:
    *parents, last = path.split(".", 1) if path.startswith("base.") else path.split(".")
    node = data
    for part in parents:
        node = node.setdefault(part, {}) if isinstance(node.get(part, {}), dict) else {}
    node[last] = value


def encoding(rng: random.Random) -> bytes:
    text = builtin(rng).replace("description:", "description: café naïve", 1)
    kind = rng.choice(["latin1", "utf16", "utf16le", "stray", "cp1252", "nul"])
    if kind == "latin1":
        return text.encode("latin-1", "replace")
    if kind == "cp1252":
        return text.encode("cp1252", "replace") + b"\x93quoted\x94\n"
    if kind == "utf16":
        return text.encode("utf-16")
    if kind == "utf16le":
        return text.encode("utf-16-le")
    data = bytearray(text.encode())
    for _ in range(rng.randint(1, 5)):
        data.insert(rng.randrange(len(data)), rng.choice([0x80, 0xFF, 0xC3, 0xFE, 0x00, 0x1B]))
    return bytes(data)


def big_integer(rng: random.Random) -> bytes:
    digits = "9" * rng.choice([4301, 5000, 20_000, 100])
    field = rng.choice(["base.epochs", "seeds", "design.n_trials", "resources.cpu", "max_concurrent"])
    data = yaml.safe_load(GOOD)
    _set_path(data, field, ["PLACEHOLDER"] if field == "seeds" else "PLACEHOLDER")
    return yaml.safe_dump(data, width=10**9).replace("PLACEHOLDER", digits).replace("'", "").encode()


def deep(rng: random.Random) -> bytes:
    depth = rng.choice([40, 200, 1000, 5000])
    kind = rng.choice(["list", "map", "block"])
    if kind == "list":
        value = "[" * depth + "]" * depth
    elif kind == "map":
        value = "{a: " * depth + "1" + "}" * depth
    else:
        value = "\n" + "".join("  " * (i + 1) + "a:\n" for i in range(min(depth, 1000)))
    return f"study: s\nreference: {value}\ndesign: {{kind: grid, factors: {{timesteps: [1]}}}}\n".encode()


def null_key(rng: random.Random) -> bytes:
    where = rng.choice(["design.space", "base", "design.factors", "objectives", "top"])
    if where == "design.space":
        return b"study: s\ndesign: {kind: search, n_trials: 2, space: {null: {choice: [1]}}}\n"
    if where == "top":
        return (GOOD + "~: 1\n").encode()
    return b"study: s\nbase: {null: 1}\ndesign: {kind: grid, factors: {~: [1]}}\nobjectives: {null: max}\n"


def bad_path(rng: random.Random) -> bytes:
    value = rng.choice(
        [
            "~nosuchuser/x",
            "~" + "u" * 300,
            "/" + "a" * 5000,
            "/" + "/".join(["b" * 300] * 3),
            '"/tmp/\\0x"',
            '"\\x01"',
            "''",
            "/etc/passwd",
            "[1, 2]",
        ]
    )
    return (GOOD + f"data_dir: {value}\n").encode()


def duplicate_key(rng: random.Random) -> bytes:
    text = builtin(rng)
    lines = text.splitlines()
    i = rng.randrange(len(lines))
    return "\n".join(lines[: i + 1] + [lines[i]] + lines[i + 1 :]).encode() + b"\n"


def yaml11(rng: random.Random) -> bytes:
    value = rng.choice(["1:30", "yes", "no", "on", "off", "Y", "0o17", "017", "1_000", "0b101", "2026-01-01", "~"])
    field = rng.choice(["base.epochs", "base.attention", "base.lr", "resources.gpu", "scheduler.kind", "study"])
    data = yaml.safe_load(GOOD)
    _set_path(data, field, "PLACEHOLDER")
    return yaml.safe_dump(data).replace("PLACEHOLDER", value).encode()


def non_finite(rng: random.Random) -> bytes:
    data = yaml.safe_load(GOOD)
    _set_path(data, rng.choice(FLOAT_FIELDS), "PLACEHOLDER")
    value = rng.choice([".inf", "-.inf", ".nan", "1e999", "-1e999", ".NaN"])
    return yaml.safe_dump(data).replace("PLACEHOLDER", value).encode()


def arm_name(rng: random.Random) -> bytes:
    name = rng.choice(['"a\\0b"', "../../etc/passwd", '"\\x07bell"', "'..'", "a/b", '"tab\\there"', "x" * 5000, "' '"])
    return f"study: s\ndesign: {{kind: ablation, arms: [{{name: {name}, set: {{epochs: 2}}}}]}}\n".encode()


def alias_bomb(rng: random.Random) -> bytes:
    width, levels = rng.choice([(9, 6), (10, 7), (5, 9), (3, 14)])
    lines = ["study: s", f"a0: &a0 [{', '.join(['1'] * width)}]"]
    for i in range(1, levels):
        lines.append(f"a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * width)}]")
    where = rng.choice(["factors", "reference", "base"])
    if where == "factors":
        lines.append(f"design: {{kind: grid, factors: {{timesteps: *a{levels - 1}}}}}")
    else:
        lines.append(f"{where}: {{x: *a{levels - 1}}}")
        lines.append("design: {kind: grid, factors: {timesteps: [1]}}")
    return ("\n".join(lines) + "\n").encode()


def resources(rng: random.Random) -> bytes:
    cpu = rng.choice([3, 64, 0.5, 0, -1, "many", 1e300])
    gpu = rng.choice([0.25, 1.5, 2, -0.1, "auto", "all"])
    return (GOOD + f"resources: {{cpu: {cpu}, gpu: {gpu}}}\n").encode()


def oversized(rng: random.Random) -> bytes:
    kind = rng.choice(["grid", "values", "base", "seeds", "arms"])
    if kind == "grid":
        factors = "".join(
            f"    {k}: [{', '.join(str(v) for v in range(1, n + 1))}]\n"
            for k, n in (("timesteps", 64), ("epochs", 100), ("batch_size", 200))
        )
        return f"study: s\ndesign:\n  kind: grid\n  factors:\n{factors}".encode()
    if kind == "values":
        values = ", ".join(f"0.{i:05d}1" for i in range(rng.choice([2000, 10_000])))
        return f"study: s\ndesign: {{kind: grid, factors: {{lr: [{values}]}}}}\n".encode()
    if kind == "base":
        keys = ", ".join(f"k{i}: 1" for i in range(rng.choice([1000, 100_000])))
        return f"study: s\nbase: {{{keys}}}\ndesign: {{kind: grid, factors: {{timesteps: [1]}}}}\n".encode()
    if kind == "seeds":
        return (GOOD + f"seeds: [{', '.join(str(i) for i in range(rng.choice([1001, 50_000])))}]\n").encode()
    arms = ", ".join(f"{{name: a{i}, set: {{epochs: {i % 9 + 1}}}}}" for i in range(rng.choice([1001, 5000])))
    return f"study: s\ndesign: {{kind: ablation, arms: [{arms}]}}\n".encode()


def byte_mutation(rng: random.Random) -> bytes:
    data = bytearray(builtin(rng).encode())
    for _ in range(rng.randint(1, 20)):
        op = rng.choice(["flip", "insert", "delete", "truncate"])
        pos = rng.randrange(max(len(data), 1))
        if op == "flip" and data:
            data[pos] = rng.randrange(256)
        elif op == "insert":
            data[pos:pos] = bytes(rng.choice(b"{}[]:,&*!|>-?#'\"\n\t %@`\\") for _ in range(rng.randint(1, 4)))
        elif op == "delete" and data:
            del data[pos : pos + rng.randint(1, 8)]
        elif op == "truncate":
            del data[pos:]
    return bytes(data)


def random_bytes(rng: random.Random) -> bytes:
    return bytes(rng.randrange(256) for _ in range(rng.randint(0, 400)))


CATEGORIES: dict[str, Callable[[random.Random], bytes]] = {
    "encoding": encoding,
    "big integer": big_integer,
    "deep nesting": deep,
    "null key": null_key,
    "path": bad_path,
    "duplicate key": duplicate_key,
    "yaml 1.1": yaml11,
    "non-finite": non_finite,
    "arm name": arm_name,
    "alias bomb": alias_bomb,
    "resources": resources,
    "oversized": oversized,
    "byte mutation": byte_mutation,
    "random bytes": random_bytes,
}


def run_validate(path: Path, home: Path) -> tuple[int | str, float, str]:
    """(exit status or 'traceback', seconds, the traceback text) of `spikesweep validate PATH` in-process."""
    from spikesweep.platform.cli import main

    out, err = io.StringIO(), io.StringIO()
    start = time.perf_counter()
    try:
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            status: int | str = main(["--home", str(home), "validate", str(path)])
    except SystemExit as exit_:  # argparse
        status = int(exit_.code or 0)
    except BaseException:  # a finding: the boundary let an exception through
        return "traceback", time.perf_counter() - start, traceback.format_exc()
    text = err.getvalue()
    return status, time.perf_counter() - start, text if "Traceback" in text else ""


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=850, help="files to generate (default 850)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--keep", help="write the generated files into this folder (else a temporary one)")
    args = parser.parse_args()
    rng = random.Random(args.seed)
    folder = Path(args.keep or tempfile.mkdtemp(prefix="spikesweep-fuzz-"))
    folder.mkdir(parents=True, exist_ok=True)
    home = folder / "home-never-written"
    names = list(CATEGORIES)
    statuses: Counter[str] = Counter()
    findings: list[tuple[str, str]] = []
    slowest = ("", 0.0)
    per_category: dict[str, Counter[str]] = {name: Counter() for name in names}
    warm = folder / "warm-up.yaml"
    warm.write_text(GOOD)
    run_validate(warm, home)  # imports the knob schema once, outside the timings
    start = time.perf_counter()
    for i in range(args.n):
        category = names[i % len(names)]
        path = folder / f"{i:05d}-{category.replace(' ', '_')}.yaml"
        path.write_bytes(CATEGORIES[category](rng))
        status, seconds, trace = run_validate(path, home)
        label = str(status) if status in (0, 2) else f"other:{status}"
        if trace:
            label = "traceback"
            findings.append((path.name, trace.strip().splitlines()[-1]))
        statuses[label] += 1
        per_category[category][label] += 1
        if seconds > slowest[1]:
            slowest = (path.name, seconds)
    total = time.perf_counter() - start
    print(f"files tried: {args.n} (seed {args.seed}, folder {folder})")
    print(
        f"exit 0: {statuses['0']}, exit 2: {statuses['2']}, tracebacks: {statuses['traceback']}, "
        f"other: {sum(v for k, v in statuses.items() if k.startswith('other'))}"
    )
    print(f"slowest: {slowest[0]} {slowest[1]:.2f} s; all files {total:.1f} s")
    print(f"home written: {home.exists()}")
    for name in names:
        print(f"  {name:14s} " + ", ".join(f"{k} {v}" for k, v in sorted(per_category[name].items())))
    for name, line in findings[:20]:
        print(f"TRACEBACK {name}: {line}")
    return 1 if findings or any(k.startswith("other") for k in statuses) or home.exists() else 0


if __name__ == "__main__":
    sys.exit(main())

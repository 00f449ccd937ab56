"""What a Ray node can run: its Python, Ray, torch and spikesweep versions. Runs ON the node, so it imports only
the standard library at module level (it is shipped by value, and spikesweep may be missing there)."""

from __future__ import annotations

import hashlib
import importlib
import platform
from pathlib import Path
from typing import Any


def package_fingerprint(folder: Path) -> str:
    """A short hash of a package's Python sources (two nodes with the same hash run the same code)."""
    digest = hashlib.sha256()
    for path in sorted(folder.rglob("*.py")):
        digest.update(str(path.relative_to(folder)).encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()[:12]


def _version(module: str) -> str | None:
    try:
        return str(importlib.import_module(module).__version__)
    except Exception:  # missing, or broken on that node: both mean "cannot run trials"
        return None


def node_facts() -> dict[str, Any]:
    """Python, Ray and torch versions, spikesweep's code fingerprint (None: not importable) and the node id."""
    facts: dict[str, Any] = {"python": ".".join(platform.python_version_tuple()[:2])}
    facts["ray"], facts["torch"] = _version("ray"), _version("torch")
    try:
        package = importlib.import_module("spikesweep")
        facts["spikesweep"] = package_fingerprint(Path(package.__file__).parent)  # type: ignore[arg-type]
    except Exception:
        facts["spikesweep"] = None
    try:
        import ray

        facts["node"] = ray.get_runtime_context().get_node_id()
    except Exception:
        facts["node"] = None
    return facts

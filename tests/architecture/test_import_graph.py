"""The import contract, read from the source with `ast` (lazy imports inside functions count too).

- `spikesweep.workers` never imports the control plane or its systems (Ray, Optuna, MLflow, SQLAlchemy, Alembic).
- `spikesweep.platform` uses the trial side only through its face, `spikesweep.workers` itself.
- Inside `platform/`, packages depend one way (cli -> run, reporting -> study -> stores -> the leaf modules),
  `run` and `reporting` do not import each other, and no modules import each other in a circle.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PACKAGE = ROOT / "spikesweep"
CONTROL_PLANE_SYSTEMS = ("ray", "optuna", "mlflow", "sqlalchemy", "alembic")
# Higher layers may import lower ones, never the reverse; equal layers may not import each other.
LAYERS = {
    "errors": 0,
    "pareto": 0,
    "report_choices": 0,
    "units": 0,
    "stores": 1,
    "study": 2,
    "run": 3,
    "reporting": 3,
    "cli": 4,
}


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imports(path: Path) -> Iterator[tuple[str, list[str]]]:
    """(module imported, names taken from it) for every import statement of `path`, made absolute."""
    name = module_name(path)
    package = name if path.name == "__init__.py" else name.rsplit(".", 1)[0]
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield alias.name, []
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            yield target, [alias.name for alias in node.names]


def modules(folder: str) -> dict[str, Path]:
    return {module_name(p): p for p in sorted((PACKAGE / folder).rglob("*.py"))}


def platform_graph() -> dict[str, set[str]]:
    """Module -> the platform modules it imports (a `from package import module` counts as the module)."""
    known = modules("platform")
    graph: dict[str, set[str]] = {name: set() for name in known}
    for name, path in known.items():
        for target, names in imports(path):
            if not target.startswith("spikesweep.platform"):
                continue
            for candidate in [f"{target}.{n}" for n in names] or [target]:
                graph[name].add(candidate if candidate in known else target)
        graph[name].discard(name)
    return graph


def layer(module: str) -> tuple[str, int]:
    parts = module.split(".")
    top = parts[2] if len(parts) > 2 else "platform"
    return top, LAYERS.get(top, -1)


def upward_arrows(graph: dict[str, set[str]]) -> list[tuple[str, str]]:
    found = []
    for source, targets in graph.items():
        source_top, source_layer = layer(source)
        for target in targets:
            target_top, target_layer = layer(target)
            if target_top == source_top or target == "spikesweep.platform":
                continue
            if target_layer >= source_layer:
                found.append((source, target))
    return sorted(found)


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for target in graph.get(node, ()):
            if target not in graph:
                continue
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in on_stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in graph:
        if node not in index:
            visit(node)
    return found


def test_every_platform_package_has_a_layer():
    packages = {p.name for p in (PACKAGE / "platform").iterdir() if p.is_dir() and (p / "__init__.py").exists()}
    leaves = {p.stem for p in (PACKAGE / "platform").glob("*.py") if p.stem != "__init__"}
    assert packages | leaves == set(LAYERS)


def test_workers_never_import_the_control_plane():
    offending = [
        (name, target)
        for name, path in modules("workers").items()
        for target, _ in imports(path)
        if target.startswith("spikesweep.platform") or target.split(".")[0] in CONTROL_PLANE_SYSTEMS
    ]
    assert offending == []


def test_platform_uses_workers_only_through_its_face():
    import spikesweep.workers as face

    offending = []
    for name, path in modules("platform").items():
        for target, names in imports(path):
            if target.startswith("spikesweep.workers."):
                offending.append((name, target))
            elif target == "spikesweep.workers":
                offending += [(name, f"{target}.{n}") for n in names if n not in face.__all__]
    assert offending == []


def test_platform_dependencies_run_one_way():
    assert upward_arrows(platform_graph()) == []


def test_no_import_circles_in_platform():
    assert cycles(platform_graph()) == []


def test_the_checks_catch_what_they_look_for():
    """The graph helpers on a made-up graph: an upward arrow and a circle are found."""
    graph = {
        "spikesweep.platform.stores.a": {"spikesweep.platform.cli.main"},
        "spikesweep.platform.cli.main": {"spikesweep.platform.stores.a"},
        "spikesweep.platform.run.x": {"spikesweep.platform.reporting.y"},
        "spikesweep.platform.reporting.y": set(),
    }
    assert upward_arrows(graph) == [
        ("spikesweep.platform.run.x", "spikesweep.platform.reporting.y"),
        ("spikesweep.platform.stores.a", "spikesweep.platform.cli.main"),
    ]
    assert cycles(graph) == [["spikesweep.platform.cli.main", "spikesweep.platform.stores.a"]]


if __name__ == "__main__":  # figures for the issue note: files, arrows, upward arrows, circles
    graph = platform_graph()
    arrows = sum(len(targets) for targets in graph.values())
    print(
        f"files {len(graph)}, import arrows {arrows}, upward {len(upward_arrows(graph))}, circles {len(cycles(graph))}"
    )
    for source, target in upward_arrows(graph):
        print(f"  up: {source} -> {target}")

"""Typed name -> plug-in registries, one per kind (neurons, backbones, attention modules, datasets, ...).

Every kind registers the same way (`@REGISTRY.register(name, ...)` or `REGISTRY.add(name, plugin, ...)`), and a
registration carries what the plug-in knows about itself: its knobs, its leave-one-out switches (submodule ->
the knob changes that switch it off) and its cross-knob checks. Registering declares the knobs and checks in the
knob schema; the checks run where the registry's selector knob names the plug-in (e.g. `attention: fsta`).

The plug-in itself may be given as `Lazy("package.module:attribute")`: the torch-free `*_schema` modules register
names, knobs and checks that way, and the module holding the torch code is imported on the first `get`, so the
knob schema (and every command that only validates) loads without torch.
"""

from __future__ import annotations

import difflib
import importlib
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from typing import Any, Generic, TypeVar, overload

from .knobs import CrossCheck, Knob, Problems, declare, declare_check, undeclare, undeclare_check

T = TypeVar("T")
Check = Callable[[Mapping[str, Any]], Problems]


@dataclass(frozen=True)
class Lazy:
    """A reference `"package.module:attribute"` to a plug-in, imported when the plug-in is first used."""

    target: str

    def load(self) -> Any:
        """Import the module and return the attribute."""
        module, _, attribute = self.target.partition(":")
        return getattr(importlib.import_module(module), attribute)


@dataclass(frozen=True)
class Registration(Generic[T]):
    """One registered plug-in and its own knowledge: knobs, leave-one-out switches, cross-knob checks."""

    name: str
    plugin: T | Lazy
    knobs: tuple[Knob, ...] = ()
    leave_one_out: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    checks: tuple[CrossCheck, ...] = ()


class NameView(Sequence):
    """The names of a registry's plug-ins that satisfy a predicate, computed on every access (so a knob's `when`
    can say "every event dataset" before all datasets have registered)."""

    def __init__(self, registry: PluginRegistry[Any], predicate: Callable[[Any], bool]) -> None:
        self._registry, self._predicate = registry, predicate

    def _names(self) -> tuple[str, ...]:
        return tuple(name for name, plugin in self._registry.items() if self._predicate(plugin))

    @overload
    def __getitem__(self, index: int) -> str: ...
    @overload
    def __getitem__(self, index: slice) -> Sequence[str]: ...
    def __getitem__(self, index: int | slice) -> str | Sequence[str]:
        return self._names()[index]

    def __len__(self) -> int:
        return len(self._names())

    def __contains__(self, name: object) -> bool:
        return name in self._names()

    def __repr__(self) -> str:
        return repr(self._names())


class PluginRegistry(Generic[T]):
    """Maps names to plug-ins of one kind; `selector` is the knob whose value picks one (e.g. "attention")."""

    def __init__(self, kind: str, selector: str | None = None) -> None:
        self.kind = kind
        self.selector = selector
        self._entries: dict[str, Registration[T]] = {}

    def register(
        self,
        name: str,
        *,
        knobs: Sequence[Knob] = (),
        leave_one_out: Mapping[str, Mapping[str, Any]] | None = None,
        checks: Sequence[Check] = (),
    ) -> Callable[[T | Lazy], T]:
        """A decorator registering its argument under `name`, declaring `knobs` and `checks` in the schema."""

        def add(plugin: T | Lazy) -> T:
            if name in self._entries:
                raise ValueError(f"{self.kind} {name!r} is registered twice")
            when = {self.selector: (name,)} if self.selector else None
            crosses = tuple(CrossCheck(check, when, owner=name) for check in checks)
            declare(*knobs)
            for cross in crosses:
                declare_check(cross)
            switches = {sub: dict(changes) for sub, changes in (leave_one_out or {}).items()}
            self._entries[name] = Registration(name, plugin, tuple(knobs), switches, crosses)
            return plugin  # type: ignore[return-value]

        return add

    def add(
        self,
        name: str,
        plugin: T | Lazy,
        *,
        knobs: Sequence[Knob] = (),
        leave_one_out: Mapping[str, Mapping[str, Any]] | None = None,
        checks: Sequence[Check] = (),
    ) -> T:
        """Register `plugin` under `name` (the same as the decorator)."""
        return self.register(name, knobs=knobs, leave_one_out=leave_one_out, checks=checks)(plugin)

    def unregister(self, name: str) -> Registration[T]:
        """Remove a registration, with its knobs and checks (tests that register a plug-in of their own)."""
        entry = self.registration(name)
        del self._entries[name]
        undeclare(*(knob.name for knob in entry.knobs))
        for cross in entry.checks:
            undeclare_check(cross)
        return entry

    @contextmanager
    def scoped(self) -> Iterator[PluginRegistry[T]]:
        """Registrations made inside the block are removed when it ends."""
        before = set(self._entries)
        try:
            yield self
        finally:
            for name in [name for name in self._entries if name not in before]:
                self.unregister(name)

    def registration(self, name: str) -> Registration[T]:
        """The registration of `name`; KeyError naming the allowed names (and the nearest one) otherwise."""
        try:
            return self._entries[name]
        except KeyError:
            hint = difflib.get_close_matches(name, self._entries, n=1)
            extra = f"; did you mean {hint[0]!r}?" if hint else ""
            raise KeyError(f"unknown {self.kind} {name!r} (allowed: {', '.join(self.names())}){extra}") from None

    def get(self, name: str) -> T:
        """The plug-in registered as `name` (a `Lazy` one is imported now, once)."""
        entry = self.registration(name)
        if isinstance(entry.plugin, Lazy):
            entry = replace(entry, plugin=entry.plugin.load())
            self._entries[name] = entry
        return entry.plugin  # type: ignore[return-value]

    def names(self) -> tuple[str, ...]:
        return tuple(sorted(self._entries))

    def names_where(self, predicate: Callable[[T], bool]) -> NameView:
        """A live view of the names whose plug-in satisfies `predicate`."""
        return NameView(self, predicate)

    def items(self) -> Iterator[tuple[str, T]]:
        """(name, plug-in) pairs, sorted by name (lazy plug-ins are imported)."""
        return iter([(name, self.get(name)) for name in sorted(self._entries)])

    def registrations(self) -> Iterator[Registration[T]]:
        return iter([entry for _, entry in sorted(self._entries.items())])

    def __contains__(self, name: object) -> bool:
        return name in self._entries

    def __len__(self) -> int:
        return len(self._entries)

"""Reading study files (and `--set` values) as YAML the way users mean it, within limits.

The rules, all checked while the text is read (before any object is built):
- the file is UTF-8 text (a UTF-8 byte-order mark is allowed); anything else is one problem, not a traceback;
- YAML 1.2 core-schema scalars: only `true`/`false` are booleans (`yes`, `no`, `on`, `off` stay strings),
  `1:30` is a string (no sexagesimal numbers), `010` is ten, `1e-3` is a number, `.inf`/`.nan` are numbers
  (the value checks then refuse them);
- every key appears once per mapping (merge keys `<<` may still be overridden), keys are not null or
  mappings/lists;
- nesting is at most `MAX_DEPTH` levels, the document at most `MAX_NODES` nodes with aliases expanded
  (a small "alias bomb" cannot grow into a huge study), integers at most `MAX_INT_DIGITS` digits.
"""

from __future__ import annotations

import math
import re
from typing import Any

import yaml
from yaml.constructor import ConstructorError, SafeConstructor
from yaml.events import AliasEvent, CollectionEndEvent, CollectionStartEvent, ScalarEvent
from yaml.nodes import MappingNode, ScalarNode
from yaml.resolver import Resolver

MAX_DEPTH = 32
MAX_NODES = 20_000
MAX_INT_DIGITS = 30
MAX_TEXT_BYTES = 4 * 2**20

MERGE_TAG = "tag:yaml.org,2002:merge"
INT_FORMS = (("0o", 8, "[0-7]+"), ("0x", 16, "[0-9a-fA-F]+"), ("", 10, "[0-9]+"))


class YamlRuleError(yaml.YAMLError):
    """A study-file rule broken while reading: `line` (1-based, or None) and the message in the user's words."""

    def __init__(self, line: int | None, message: str) -> None:
        super().__init__(message)
        self.line = line
        self.message = message


def _line(node_or_mark: Any) -> int | None:
    mark = getattr(node_or_mark, "start_mark", node_or_mark)
    return None if mark is None else int(mark.line) + 1


class _Resolver(Resolver):
    """YAML 1.2 core schema implicit types instead of PyYAML's YAML 1.1 ones."""


_Resolver.yaml_implicit_resolvers = {}
for _tag, _pattern, _first in (
    ("tag:yaml.org,2002:bool", r"^(?:true|True|TRUE|false|False|FALSE)$", "tTfF"),
    ("tag:yaml.org,2002:int", r"^(?:[-+]?[0-9]+|0o[0-7]+|0x[0-9a-fA-F]+)$", "-+0123456789"),
    (
        "tag:yaml.org,2002:float",
        r"^(?:[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))$",
        "-+0123456789.",
    ),
    ("tag:yaml.org,2002:null", r"^(?:~|null|Null|NULL|)$", ["~", "n", "N", ""]),
    ("tag:yaml.org,2002:merge", r"^(?:<<)$", "<"),
):
    _Resolver.add_implicit_resolver(_tag, re.compile(_pattern), list(_first))


def check_events(text: str) -> None:
    """Refuse nesting deeper than MAX_DEPTH and documents over MAX_NODES nodes with aliases expanded, from the
    event stream alone (libyaml's parser when present: fast, and nothing is built before the limits pass)."""
    depth = 0
    total = 0
    open_collections: list[tuple[str | None, int]] = []
    sizes: dict[str, int] = {}
    for event in yaml.parse(text, Loader=_EVENT_LOADER):
        if isinstance(event, CollectionStartEvent):
            depth += 1
            if depth > MAX_DEPTH:
                raise YamlRuleError(
                    _line(event), f"nesting deeper than {MAX_DEPTH} levels (allowed: at most {MAX_DEPTH})"
                )
            open_collections.append((event.anchor, total))
        elif isinstance(event, CollectionEndEvent):
            depth -= 1
            anchor, before = open_collections.pop()
            total += 1
            if anchor is not None:
                sizes[anchor] = total - before
        elif isinstance(event, ScalarEvent):
            total += 1
            if event.anchor is not None:
                sizes[event.anchor] = 1
        elif isinstance(event, AliasEvent):
            total += sizes.get(str(event.anchor), 1)
        if total > MAX_NODES:
            raise YamlRuleError(
                _line(event),
                f"the document expands to more than {MAX_NODES} values, aliases included "
                f"(allowed: at most {MAX_NODES}; write the values out or shrink the study)",
            )


class _Constructor(SafeConstructor):
    """SafeConstructor with YAML 1.2 integers, bounded digits, and duplicate/null keys refused."""

    def construct_yaml_int(self, node: ScalarNode) -> int:
        text = str(self.construct_scalar(node))
        sign = -1 if text.startswith("-") else 1
        digits = text.lstrip("+-")
        if len(digits) > MAX_INT_DIGITS:
            raise YamlRuleError(
                _line(node), f"an integer of {len(digits)} digits (allowed: at most {MAX_INT_DIGITS} digits)"
            )
        for prefix, base, pattern in INT_FORMS:
            if digits.startswith(prefix) and re.fullmatch(pattern, digits[len(prefix) :]):
                return sign * int(digits[len(prefix) :], base)
        raise YamlRuleError(
            _line(node), f"{text[:40]!r} is not an integer (allowed: decimal, 0o octal or 0x hex digits)"
        )

    def construct_yaml_float(self, node: ScalarNode) -> float:
        text = str(self.construct_scalar(node)).lower()
        if text.lstrip("+-") == ".inf":
            return -math.inf if text.startswith("-") else math.inf
        if text == ".nan":
            return math.nan
        try:
            return float(text)
        except ValueError:
            raise YamlRuleError(_line(node), f"{text[:40]!r} is not a number (allowed: e.g. 0.5, 1e-3)") from None

    def construct_mapping(self, node: MappingNode, deep: bool = False) -> dict[Any, Any]:
        if isinstance(node, MappingNode):
            seen: set[Any] = set()
            for key_node, _ in node.value:
                if key_node.tag == MERGE_TAG:
                    continue
                if not isinstance(key_node, ScalarNode):
                    raise YamlRuleError(_line(key_node), "a mapping or list used as a key (allowed: a name)")
                key = self.construct_object(key_node, deep=True)
                if key is None:
                    raise YamlRuleError(_line(key_node), "a null key (allowed: a name)")
                if key in seen:
                    raise YamlRuleError(
                        _line(key_node), f"duplicate key {str(key)[:80]!r} (allowed: each key once per mapping)"
                    )
                seen.add(key)
        return super().construct_mapping(node, deep=deep)


_Constructor.add_constructor("tag:yaml.org,2002:int", _Constructor.construct_yaml_int)  # type: ignore[type-var]
_Constructor.add_constructor("tag:yaml.org,2002:float", _Constructor.construct_yaml_float)  # type: ignore[type-var]
_Constructor.add_constructor("tag:yaml.org,2002:map", _Constructor.construct_yaml_map)  # type: ignore[type-var]


if yaml.__with_libyaml__:
    from yaml.cyaml import CParser as _Parser  # type: ignore[attr-defined]

    _EVENT_LOADER: Any = yaml.CBaseLoader
else:  # pragma: no cover - PyYAML without libyaml: the same rules, slower
    from yaml.composer import Composer
    from yaml.parser import Parser
    from yaml.reader import Reader
    from yaml.scanner import Scanner

    class _Parser(Reader, Scanner, Parser, Composer):  # type: ignore[no-redef]
        def __init__(self, stream: str) -> None:
            Reader.__init__(self, stream)
            Scanner.__init__(self)
            Parser.__init__(self)
            Composer.__init__(self)

    _EVENT_LOADER = yaml.BaseLoader


class StudyLoader(_Parser, _Constructor, _Resolver):
    """The loader of study files (run `check_events` first): see the module docstring for its rules."""

    def __init__(self, stream: str) -> None:
        _Parser.__init__(self, stream)
        _Constructor.__init__(self)
        _Resolver.__init__(self)


def decode(data: bytes) -> str:
    """The text of a study file; raises YamlRuleError (no line) when it is not UTF-8 or too large."""
    if len(data) > MAX_TEXT_BYTES:
        raise YamlRuleError(None, f"the file has {len(data)} bytes (allowed: at most {MAX_TEXT_BYTES})")
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise YamlRuleError(None, "the file is UTF-16 text (allowed: UTF-8; save it as UTF-8)")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        line = data[: error.start].count(b"\n") + 1
        byte = data[error.start : error.start + 1].hex()
        raise YamlRuleError(line, f"byte 0x{byte} is not UTF-8 (allowed: UTF-8 text; save the file as UTF-8)") from None


def load(text: str) -> Any:
    """Load one YAML document under the study-file rules (raises yaml.YAMLError, YamlRuleError included)."""
    check_events(text)
    loader = StudyLoader(text)
    try:
        return loader.get_single_data()
    except RecursionError:  # a safety net: MAX_DEPTH keeps the composer far from Python's limit
        raise YamlRuleError(None, f"nesting too deep (allowed: at most {MAX_DEPTH} levels)") from None
    except ConstructorError as error:
        raise YamlRuleError(_line(error.problem_mark), str(error.problem or error)) from None
    except yaml.YAMLError:
        raise
    except Exception as error:  # explicit tags (!!timestamp, !!binary ...) the safe constructors cannot build
        raise YamlRuleError(None, f"a value cannot be read: {str(error)[:120]} (allowed: plain YAML values)") from None
    finally:
        loader.dispose()


__all__ = ["MAX_DEPTH", "MAX_INT_DIGITS", "MAX_NODES", "StudyLoader", "YamlRuleError", "check_events", "decode", "load"]

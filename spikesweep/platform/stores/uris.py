"""Store URIs: redaction of credentials, the PostgreSQL driver choice, and the kind of store a URI names.

Every place that can print, log, store or pass on a store URI goes through `redact` (one URI) or `scrub` (any
text that may contain URIs, e.g. an exception message): `postgresql://user:secret@host/db` becomes
`postgresql://user:***@host/db`.

Plain `postgresql://` URIs are run with psycopg2 (the `postgres` extra installs `psycopg2-binary`): SQLAlchemy 2.1
would pick psycopg 3 for that scheme. Where psycopg2 is absent but psycopg 3 is installed, the URI is left alone.
"""

from __future__ import annotations

import importlib.util
import re

MASK = "***"
# scheme://user:password@  ->  scheme://user:***@   (the password runs up to the last @ before the host)
_USERINFO = re.compile(r"(?P<scheme>[A-Za-z][A-Za-z0-9+.\-]*://)(?P<user>[^:/@\s'\"]*):(?P<secret>[^\s'\"]*)@")
# key=value secrets in query strings or DSNs: password=..., token=...
_QUERY = re.compile(r"(?i)(?P<key>\b(?:password|passwd|pwd|token|secret)=)(?P<secret>[^&\s'\"]+)")


def redact(uri: str) -> str:
    """The URI with any password (user info or a `password=` parameter) replaced by `***`."""
    return scrub(uri)


def scrub(text: str) -> str:
    """Any text with the passwords of the URIs in it replaced by `***` (exception messages, log lines)."""
    text = _USERINFO.sub(lambda m: f"{m['scheme']}{m['user']}:{MASK}@", text)
    return _QUERY.sub(lambda m: f"{m['key']}{MASK}", text)


def secrets_of(uri: str) -> list[str]:
    """The passwords a URI carries (for tests and for scrubbing text that quotes them without the URI)."""
    found = [m["secret"] for m in _USERINFO.finditer(uri)] + [m["secret"] for m in _QUERY.finditer(uri)]
    return [secret for secret in found if secret and secret != MASK]


def scheme(uri: str) -> str:
    """The URI's scheme without the driver (`postgresql+psycopg2` -> `postgresql`), lower case."""
    return uri.split(":", 1)[0].split("+", 1)[0].lower() if ":" in uri else ""


def is_sqlite(uri: str) -> bool:
    return scheme(uri) == "sqlite"


def is_http(uri: str) -> bool:
    return scheme(uri) in ("http", "https")


def normalize(uri: str) -> str:
    """`postgresql://` -> `postgresql+psycopg2://` when psycopg2 is installed (see the module docstring)."""
    for plain in ("postgresql://", "postgres://"):
        if uri.startswith(plain) and importlib.util.find_spec("psycopg2") is not None:
            return "postgresql+psycopg2://" + uri[len(plain) :]
    return uri

"""Connection checks of the three stores, before anything is written: one line naming the store and its redacted
URI when one cannot be reached, and no minutes of retries (HTTP retries are capped in `tracking.py`)."""

from __future__ import annotations

import base64
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Mapping

from .errors import StoreUnavailable
from .uris import is_http, is_sqlite, redact, scrub

CONNECT_TIMEOUT_S = 5
DRIVER_HINT = "the PostgreSQL driver is not installed (allowed: pip install 'spikesweep[postgres]')"


def store_uris(home: object) -> dict[str, str]:
    """The three store URIs of a home, by store name."""
    return {"registry": home.registry_uri, "optuna": home.optuna_uri, "mlflow": home.mlflow_uri}  # type: ignore[attr-defined]


def first_line(error: BaseException) -> str:
    """The first non-empty line of an error (a database driver's own message when there is one), redacted."""
    inner = getattr(error, "orig", None) or error
    lines = [line.strip() for line in str(inner).splitlines() if line.strip()]
    text = lines[0] if lines else type(inner).__name__
    return scrub(text.removeprefix("FATAL:").strip())


def check_sql(uri: str) -> None:
    """Open one connection to a SQL store (SQLite files are created later and need no check)."""
    if is_sqlite(uri):
        return
    from sqlalchemy import create_engine, text
    from sqlalchemy.exc import NoSuchModuleError

    try:
        engine = create_engine(uri, connect_args={"connect_timeout": CONNECT_TIMEOUT_S}, pool_pre_ping=False)
    except ImportError as error:
        raise StoreUnavailable(DRIVER_HINT) from error
    except NoSuchModuleError as error:
        raise StoreUnavailable(f"no database driver for this URI ({first_line(error)})") from error
    try:
        with engine.connect() as connection:
            connection.execute(text("SELECT 1"))
    except ImportError as error:
        raise StoreUnavailable(DRIVER_HINT) from error
    finally:
        engine.dispose()


def check_http(uri: str) -> None:
    """GET the tracking server's /health with a short timeout (credentials in the URI go in a header)."""
    parts = urllib.parse.urlsplit(uri)
    netloc = parts.hostname or ""
    if parts.port:
        netloc = f"{netloc}:{parts.port}"
    url = urllib.parse.urlunsplit((parts.scheme, netloc, parts.path.rstrip("/") + "/health", "", ""))
    request = urllib.request.Request(url)
    if parts.username:
        pair = f"{urllib.parse.unquote(parts.username)}:{urllib.parse.unquote(parts.password or '')}"
        request.add_header("Authorization", "Basic " + base64.b64encode(pair.encode()).decode())
    with urllib.request.urlopen(request, timeout=CONNECT_TIMEOUT_S) as answer:
        if answer.status != 200:
            raise StoreUnavailable(f"/health answered {answer.status}")


CHECKS: dict[str, Callable[[str], None]] = {"sql": check_sql, "http": check_http}


def check_stores(uris: Mapping[str, str]) -> None:
    """Raise StoreUnavailable (one line: store, redacted URI, reason) for the first store that cannot be reached."""
    for store, uri in uris.items():
        kind = "http" if is_http(uri) else "sql"
        try:
            CHECKS[kind](uri)
        except StoreUnavailable as error:
            raise StoreUnavailable(f"{store} store {redact(uri)}: {error}") from None
        except (OSError, urllib.error.URLError) as error:
            reason = getattr(error, "reason", None) or error
            raise StoreUnavailable(f"{store} store {redact(uri)}: cannot connect: {scrub(str(reason))}") from None
        except Exception as error:  # SQLAlchemy's OperationalError / ProgrammingError and the like
            raise StoreUnavailable(f"{store} store {redact(uri)}: {first_line(error)}") from None

"""The errors of the stores that callers handle, one type per failure."""

from __future__ import annotations

from ..errors import Failure


class RegistryError(Exception):
    """A registry operation that cannot be done; the message says why in the user's words."""


class StudyExists(RegistryError):
    """A study of that name is already registered."""


class StudyNotFound(RegistryError, LookupError):
    """No study of that name is registered."""


class TrialNotFound(RegistryError, LookupError):
    """No trial of that Ray trial id in that study."""


class InvalidTransition(RegistryError):
    """A state change the registry does not allow (e.g. finishing a trial twice)."""


class SchemaMismatch(RegistryError):
    """A read-only open found no registry schema, or one of another version."""


class StoreUnavailable(Failure):
    """A store cannot be reached or opened (driver missing, wrong password, missing database, server down)."""

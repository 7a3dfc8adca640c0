"""Validation of the names that reach SQL (catalog, schema, table)."""

from __future__ import annotations

import re

_IDENT = re.compile(r"^[A-Za-z0-9_]+$")


class InvalidIdentifierError(ValueError):
    """A catalog, schema or table name that is not made of ``[A-Za-z0-9_]``."""


def validate_identifier(name: str, what: str = "name") -> str:
    """Return ``name`` if it is a safe SQL identifier, else raise.

    Only ``[A-Za-z0-9_]`` is allowed, so nothing reaches SQL unquoted and unvalidated.

    >>> validate_identifier("youtube_analytics", "catalog")
    'youtube_analytics'
    """
    if not isinstance(name, str) or not _IDENT.match(name):
        raise InvalidIdentifierError(f"invalid {what} {name!r}: use only letters, digits and underscores")
    return name


def validate_table_name(name: str) -> str:
    """Validate a ``schema.table`` two-part name and return it."""
    parts = name.split(".")
    if len(parts) != 2:
        raise InvalidIdentifierError(f"invalid table name {name!r}: expected schema.table")
    for part in parts:
        validate_identifier(part, "table name part")
    return name

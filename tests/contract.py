"""Check the bodies our code sent to the Fortnox emulator against the official schemas.

The emulator is our own reading of the Fortnox docs; the official OpenAPI document is
Fortnox's. Every write the emulator accepted is journaled with its route pattern (the
patterns use the spec's path names, e.g. ``/3/invoices/{DocumentNumber}/bookkeep``), so
each body can be validated against the request schema of the same path and method. This
catches a body the emulator is too lenient about (a number sent as a string, a missing
required field such as a voucher's ``Year``).

The spec is reference material outside the repository (``<repo>/../shared/specs``); when
it is absent the check reports nothing.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from functools import cache, lru_cache
from pathlib import Path
from typing import Any

from jsonschema import Draft4Validator, FormatChecker

SPEC_PATH = Path(__file__).resolve().parents[1].parent / "shared" / "specs" / "fortnox-openapi.json"


def spec_present() -> bool:
    return SPEC_PATH.is_file()


@lru_cache(maxsize=1)
def _spec() -> dict[str, Any]:
    with SPEC_PATH.open(encoding="utf-8") as handle:
        loaded: dict[str, Any] = json.load(handle)
    return loaded


@cache
def _validator(method: str, route: str) -> Draft4Validator | None:
    """A validator for the request body of ``method route``; None if the spec has none."""
    operation = _spec()["paths"].get(route, {}).get(method.lower())
    if not isinstance(operation, dict):
        raise KeyError(route)
    content = (operation.get("requestBody") or {}).get("content") or {}
    for media in content.values():
        schema = media.get("schema")
        if schema:
            # The components travel along so that "#/components/..." refs resolve in place.
            root = {**schema, "components": _spec()["components"]}
            return Draft4Validator(root, format_checker=FormatChecker())
    return None


def validate_entries(entries: Iterable[Any]) -> list[str]:
    """Problems with journal entries (``method``, ``route``, ``body``); [] when all fit."""
    if not spec_present():
        return []
    problems: list[str] = []
    for entry in entries:
        where = f"{entry.method} {entry.route}"
        try:
            validator = _validator(entry.method, entry.route)
        except KeyError:
            problems.append(f"{where}: no such operation in the official Fortnox spec")
            continue
        if validator is None:
            continue
        for error in sorted(validator.iter_errors(entry.body), key=lambda e: list(e.absolute_path)):
            path = "/".join(str(p) for p in error.absolute_path) or "(body)"
            problems.append(f"{where}: {path}: {error.message}")
    return problems


def validate_journal(apps: Iterable[Any]) -> list[str]:
    """Problems with every body the given FortnoxApp instances accepted."""
    return validate_entries(entry for app in apps for entry in list(app.journal))

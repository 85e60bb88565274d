"""Validation of JSON request bodies (property names matched case-insensitively)."""

from __future__ import annotations

from typing import Any

from .errors import bad_request
from .store import ACTIONS
from .util import parse_bool, parse_int


def fields(
    body: Any, type_name: str, writable: tuple[str, ...], readonly: tuple[str, ...] = ()
) -> dict[str, Any]:
    """``{canonical name: value}``; 400 for read-only (MJ19) or unknown properties."""
    if not isinstance(body, dict):
        raise bad_request("Invalid json input: a JSON object is expected")
    allowed = {w.lower(): w for w in writable}
    locked = {r.lower(): r for r in readonly}
    out: dict[str, Any] = {}
    for key, value in body.items():
        low = str(key).lower()
        if low in allowed:
            out[allowed[low]] = value
        elif low in locked:
            raise bad_request(f'MJ19 Setting a value for property "{locked[low]}" is not allowed')
        else:
            raise bad_request(
                f'Invalid json input: object ""->"{type_name}" has no property "{key}"'
            )
    return out


def action(value: Any) -> str:
    """One of addforce/addnoforce/remove/unsub (400 otherwise)."""
    if isinstance(value, str) and value.strip().lower() in ACTIONS:
        return value.strip().lower()
    raise bad_request(
        f'MJ08 Property Action is invalid: "{value}" (expected one of {", ".join(ACTIONS)})'
    )


def boolean(name: str, value: Any) -> bool:
    """A boolean property (JSON boolean or true/false/1/0)."""
    try:
        return parse_bool(value)
    except ValueError:
        raise bad_request(f"MJ08 Property {name} is invalid: a boolean is expected") from None


def integer(name: str, value: Any) -> int:
    """An integer property."""
    try:
        return parse_int(value)
    except ValueError:
        raise bad_request(f"MJ08 Property {name} is invalid: an integer is expected") from None


def string(name: str, value: Any) -> str:
    """A string property."""
    if not isinstance(value, str):
        raise bad_request(f"MJ08 Property {name} is invalid: a string is expected")
    return value

"""Collection GETs: resource filters, ``Limit``/``Offset``/``countOnly``/``Sort``.

Query parameter names are matched case-insensitively. Unknown parameters are ignored (as
Mailjet does) and reported back to the caller so the call log can show them.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any
from urllib.parse import parse_qsl

from .errors import Response, bad_request, envelope, json_response
from .util import parse_bool, parse_int, parse_ts

DEFAULT_LIMIT = 10
MAX_LIMIT = 1000
_PAGING = {"limit", "offset", "countonly", "sort", "style"}
_CACHE_SIZE = 32


def parse_query(query: str) -> dict[str, tuple[str, str]]:
    """``{lower-case name: (name as sent, value)}``; the last occurrence wins."""
    out: dict[str, tuple[str, str]] = {}
    for name, value in parse_qsl(query, keep_blank_values=True):
        out[name.lower()] = (name, value)
    return out


def text(value: str) -> str:
    """Filter value parser for plain strings."""
    return value


def lower(value: str) -> str:
    """Filter value parser for case-insensitive strings."""
    return value.strip().lower()


PARSERS: dict[str, Callable[[str], Any]] = {
    "int": parse_int,
    "bool": parse_bool,
    "ts": parse_ts,
    "str": text,
    "lower": lower,
}


def _sort_value(value: Any) -> Any:
    return value.lower() if isinstance(value, str) else value


def field_keys(fields: Iterable[str]) -> dict[str, Callable[[Any, dict], Any]]:
    """Sort keys reading record fields directly."""
    return {f: (lambda _s, rec, f=f: _sort_value(rec[f])) for f in fields}


class Collection:
    """How one resource is listed: filters, candidate selection, rendering, sort keys."""

    def __init__(
        self,
        name: str,
        filters: dict[str, str],
        select: Callable[[Any, dict], list[dict]],
        render: Callable[[Any, dict], dict],
        sort_keys: dict[str, Callable[[Any, dict], Any]],
    ):
        self.name = name
        self.filters = {k.lower(): (k, PARSERS[kind]) for k, kind in filters.items()}
        self.select = select
        self.render = render
        self.sort_keys = {k.lower(): fn for k, fn in sort_keys.items()}


def paging(params: dict[str, tuple[str, str]]) -> tuple[int, int, bool]:
    """``(limit, offset, count_only)``: Limit default 10, 0 means 1000, capped at 1000."""
    try:
        limit = parse_int(params["limit"][1]) if "limit" in params else DEFAULT_LIMIT
        offset = parse_int(params["offset"][1]) if "offset" in params else 0
        count_only = parse_bool(params["countonly"][1]) if "countonly" in params else False
    except ValueError as exc:
        raise bad_request(f"Invalid paging parameter: {exc}") from None
    if limit < 0 or offset < 0:
        raise bad_request("Limit and Offset must not be negative")
    if limit == 0 or limit > MAX_LIMIT:
        limit = MAX_LIMIT
    return limit, offset, count_only


Params = dict[str, tuple[str, str]]


def parse_sort(coll: Collection, params: Params) -> tuple[tuple[str, bool], ...]:
    """``Sort=Prop``, ``Sort=Prop DESC`` (``+`` is a space), comma-separated for several."""
    if "sort" not in params:
        return ()
    specs = []
    for part in params["sort"][1].split(","):
        bits = part.split()
        if not bits:
            continue
        direction = bits[1].upper() if len(bits) > 1 else "ASC"
        if len(bits) > 2 or direction not in ("ASC", "DESC"):
            raise bad_request(f'Invalid sort expression: "{part.strip()}"')
        if bits[0].lower() not in coll.sort_keys:
            raise bad_request(f'Sorting is not supported on property "{bits[0]}"')
        specs.append((bits[0].lower(), direction == "DESC"))
    return tuple(specs)


def parse_filters(coll: Collection, params: dict[str, tuple[str, str]]) -> tuple[dict, list[str]]:
    """Known filters parsed to ``{canonical name: value}``; names of ignored parameters."""
    parsed: dict[str, Any] = {}
    ignored: list[str] = []
    for key, (sent, value) in params.items():
        if key in _PAGING:
            continue
        if key not in coll.filters:
            ignored.append(sent)
            continue
        canonical, parser = coll.filters[key]
        try:
            parsed[canonical] = parser(value)
        except (ValueError, TypeError):
            raise bad_request(f'Invalid value "{value}" for filter "{canonical}"') from None
    return parsed, ignored


def records(store: Any, coll: Collection, parsed: dict, sort: tuple) -> list[dict]:
    """Filtered, sorted records; cached until the state changes (O(page) paging)."""
    key = (coll.name, tuple(sorted(parsed.items())), sort)
    hit = store.query_cache.get(key)
    if hit is not None and hit[0] == store.version:
        return hit[1]
    rows = coll.select(store, parsed)
    for name, desc in reversed(sort):
        if name == "id":
            if desc:
                rows = rows[::-1]
            continue
        keyfn = coll.sort_keys[name]
        rows = sorted(rows, key=lambda rec, k=keyfn: k(store, rec), reverse=desc)
    if len(store.query_cache) >= _CACHE_SIZE:
        store.query_cache.clear()
    store.query_cache[key] = (store.version, rows)
    return rows


def run(store: Any, coll: Collection, params: Params) -> tuple[Response, list[str]]:
    """Answer a collection GET; also return the ignored parameter names."""
    limit, offset, count_only = paging(params)
    sort = parse_sort(coll, params)
    parsed, ignored = parse_filters(coll, params)
    rows = records(store, coll, parsed, sort)
    if count_only:
        return json_response(200, {"Count": len(rows), "Data": [], "Total": len(rows)}), ignored
    page = rows[offset : offset + limit]
    return envelope([coll.render(store, rec) for rec in page]), ignored

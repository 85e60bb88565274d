"""The nightly sync window: when may an interface sync, and until when.

A window opens every day at a local wall-clock time (default 22:00) in the interface's
time zone and lasts a fixed number of minutes (default 60). Local time is resolved with
``zoneinfo``, so the window opens at 22:00 local on both sides of a daylight-saving
switch (20:00 UTC in a Berlin summer, 21:00 UTC in its winter). A start time that does
not exist on a spring-forward night (02:30 in Berlin) opens at the first local minute
after the gap; one that exists twice on a fall-back night opens at its first occurrence.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

__all__ = ["current_window", "next_window_start"]


def _local_start(day: date, tz: ZoneInfo, start_hours: float) -> datetime:
    """The window's opening on local ``day``, as an aware UTC datetime."""
    minutes = round(start_hours * 60)
    naive = datetime.combine(day, time(minutes // 60, minutes % 60))
    utc = naive.replace(tzinfo=tz, fold=0).astimezone(timezone.utc)
    if utc.astimezone(tz).replace(tzinfo=None) != naive:
        # Inside a spring-forward gap: open at the first local minute after it.
        utc = naive.replace(tzinfo=tz, fold=1).astimezone(timezone.utc)
        while utc.astimezone(tz).replace(tzinfo=None) < naive:
            utc += timedelta(minutes=1)
    return utc


def _windows_around(now: datetime, tz: ZoneInfo, start_hours: float, minutes: int):
    local_today = now.astimezone(tz).date()
    for offset in (-1, 0, 1):
        start = _local_start(local_today + timedelta(days=offset), tz, start_hours)
        yield start, start + timedelta(minutes=minutes)


def current_window(
    now: datetime, tz_name: str, start_hours: float = 22.0, minutes: int = 60
) -> tuple[datetime, datetime] | None:
    """(start, end) in UTC of the window ``now`` is in, or None outside every window.

    ``now`` must be timezone-aware (or naive UTC, as Odoo stores datetimes).
    """
    now = _aware(now)
    tz = ZoneInfo(tz_name or "UTC")
    for start, end in _windows_around(now, tz, start_hours, minutes):
        if start <= now < end:
            return start, end
    return None


def next_window_start(
    now: datetime, tz_name: str, start_hours: float = 22.0, minutes: int = 60
) -> datetime:
    """When the next window opens after ``now`` (UTC, aware)."""
    now = _aware(now)
    tz = ZoneInfo(tz_name or "UTC")
    for start, _end in _windows_around(now, tz, start_hours, minutes):
        if start > now:
            return start
    # Only reached when every candidate is in the past (cannot happen with 3 days).
    return _local_start(now.astimezone(tz).date() + timedelta(days=2), tz, start_hours)


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)

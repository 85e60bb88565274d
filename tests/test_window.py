"""R3: the nightly window, 22:00–23:00 local, across both daylight-saving switches."""

from datetime import datetime, timezone

from ems_mailjet.services.window import current_window, next_window_start

UTC = timezone.utc


def at(*args):
    return datetime(*args, tzinfo=UTC)


def test_R3_window_is_22_to_23_berlin_winter():
    # 21:00 UTC = 22:00 CET
    assert current_window(at(2026, 1, 15, 20, 59), "Europe/Berlin") is None
    assert current_window(at(2026, 1, 15, 21, 0), "Europe/Berlin") == (
        at(2026, 1, 15, 21, 0),
        at(2026, 1, 15, 22, 0),
    )
    assert current_window(at(2026, 1, 15, 21, 59), "Europe/Berlin") is not None
    assert current_window(at(2026, 1, 15, 22, 0), "Europe/Berlin") is None


def test_R3_window_is_22_to_23_berlin_summer():
    # 20:00 UTC = 22:00 CEST
    assert current_window(at(2026, 7, 1, 20, 30), "Europe/Berlin") == (
        at(2026, 7, 1, 20, 0),
        at(2026, 7, 1, 21, 0),
    )
    assert current_window(at(2026, 7, 1, 21, 30), "Europe/Berlin") is None


def test_R3_window_on_both_dst_switch_days():
    # 2026-03-29: CET→CEST at 02:00; 2026-10-25: CEST→CET at 03:00.
    assert current_window(at(2026, 3, 28, 21, 10), "Europe/Berlin") is not None  # CET
    assert current_window(at(2026, 3, 29, 20, 10), "Europe/Berlin") is not None  # CEST
    assert current_window(at(2026, 3, 29, 21, 10), "Europe/Berlin") is None
    assert current_window(at(2026, 10, 24, 20, 10), "Europe/Berlin") is not None  # CEST
    assert current_window(at(2026, 10, 25, 21, 10), "Europe/Berlin") is not None  # CET
    assert current_window(at(2026, 10, 25, 20, 10), "Europe/Berlin") is None


def test_R3_window_lasts_its_minutes_and_may_cross_midnight():
    start, end = current_window(at(2026, 1, 15, 23, 30), "UTC", 23.5, 90)
    assert (start, end) == (at(2026, 1, 15, 23, 30), at(2026, 1, 16, 1, 0))
    assert current_window(at(2026, 1, 16, 0, 45), "UTC", 23.5, 90) == (start, end)


def test_R3_start_in_a_spring_forward_gap_opens_after_the_gap():
    # 02:30 does not exist in Berlin on 2026-03-29; the first local minute after is 03:00
    # CEST = 01:00 UTC.
    window = current_window(at(2026, 3, 29, 1, 0), "Europe/Berlin", 2.5, 60)
    assert window == (at(2026, 3, 29, 1, 0), at(2026, 3, 29, 2, 0))


def test_R3_start_in_a_repeated_hour_opens_the_first_time():
    # 02:30 exists twice in Berlin on 2026-10-25: first at 00:30 UTC (CEST).
    assert current_window(at(2026, 10, 25, 0, 30), "Europe/Berlin", 2.5, 60)[0] == at(
        2026, 10, 25, 0, 30
    )


def test_R3_next_window_start():
    assert next_window_start(at(2026, 1, 15, 12, 0), "Europe/Berlin") == at(2026, 1, 15, 21, 0)
    assert next_window_start(at(2026, 1, 15, 21, 30), "Europe/Berlin") == at(2026, 1, 16, 21, 0)
    assert next_window_start(at(2026, 3, 28, 22, 0), "Europe/Berlin") == at(2026, 3, 29, 20, 0)


def test_naive_datetimes_are_utc_as_odoo_stores_them():
    assert current_window(datetime(2026, 1, 15, 21, 5), "Europe/Berlin") is not None

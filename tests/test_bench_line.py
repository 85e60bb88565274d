"""The BENCH line of ``make bench``: every field present, in order, and readable back."""

import os
import sys

import pytest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(__file__)), "scripts"))
import bench  # noqa: E402


def test_bench_line_round_trips_every_field():
    values = {
        "participants": 100000,
        "lists": 20,
        "api_calls": 161,
        "wall_s": 29.94,
        "noop_api_calls": 81,
        "noop_wall_s": 3.71,
        "delta_api_calls": 140,
        "delta_wall_s": 6.04,
        "delta_ok": 1,
        "peak_rss_mb": 147.4,
        "baseline_calls_per_participant": 1.0,
        "call_ratio": 621.1,
        "load_avg": 3.42,
    }
    line = bench.bench_line(**values)
    assert line.startswith("BENCH participants=100000 lists=20 api_calls=161 wall_s=29.9 ")
    assert "delta_api_calls=140 delta_wall_s=6.0 delta_ok=1" in line
    parsed = bench.parse_bench(line)
    assert list(parsed) == list(bench.BENCH_FORMATS)
    assert parsed["noop_wall_s"] == 3.7
    assert parsed["peak_rss_mb"] == 147


def test_a_line_that_is_not_a_bench_line_is_refused():
    with pytest.raises(ValueError):
        bench.parse_bench("targets: calls ok")

"""The BENCH line of ``make bench``: every field present, in order, and readable back."""

import json
import os
import subprocess
import sys
from pathlib import Path

SCRIPTS = Path(__file__).resolve().parent.parent / "scripts"

VALUES = {
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

PROGRAM = """
import json, sys
import bench
line = bench.bench_line(**json.loads(sys.argv[1]))
try:
    bench.parse_bench("targets: calls ok")
    refused = False
except ValueError:
    refused = True
print(json.dumps({"line": line, "parsed": bench.parse_bench(line),
                  "fields": list(bench.BENCH_FORMATS), "refused": refused}))
"""


def _run():
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(SCRIPTS), env.get("PYTHONPATH")]))
    out = subprocess.run(
        [sys.executable, "-c", PROGRAM, json.dumps(VALUES)],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    return json.loads(out.stdout)


def test_bench_line_round_trips_every_field_and_refuses_other_lines():
    result = _run()
    line = result["line"]
    assert line.startswith("BENCH participants=100000 lists=20 api_calls=161 wall_s=29.9 ")
    assert "delta_api_calls=140 delta_wall_s=6.0 delta_ok=1" in line
    assert list(result["parsed"]) == result["fields"]
    assert result["parsed"]["noop_wall_s"] == 3.7
    assert result["parsed"]["peak_rss_mb"] == 147
    assert result["refused"]

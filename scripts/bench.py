"""`make bench`: 100,000 participants in 20 newsletter campaigns against the Mailjet sandbox.

Steps (only the two syncs are timed):

1. PostgreSQL as for ``make test`` (``scripts/odoo_env.py``); a fresh database (``ems_bench``)
   with ``-i ems_mailjet --without-demo=all``.
2. The sandbox (``python -m mailjet_sandbox --latency-ms 20``, default job polling).
3. While Odoo installs and the data is built: the per-contact baseline — one
   ``contactslist/{id}/managecontact`` call per participant, as the existing connectors do,
   for a slice of 2,000 participants into a fresh list, with ``mailjet_rest.Client``.
4. Data (``scripts/bench_data.py``, ``scripts/bench_odoo.py build``): 10,000 partners and
   1,000 employees through the ORM, 20 campaigns, 100,000 participants (from partners, from
   employees, bare addresses; about 5 % declined) with one bulk INSERT checked against the
   ORM.
5. The initial sync, then a sync that finds nothing to do, each in its own Odoo process
   (``scripts/bench_odoo.py sync``: ``ems.interface._run_sync(trigger="manual",
   auto_commit=True)`` with the interface's production gateway options). API calls are
   counted by the sandbox (``/_sandbox/calls`` before/after), wall time around the sync
   call, peak RSS with ``getrusage`` inside that process.

The last line is ``BENCH participants=… api_calls=… wall_s=… noop_api_calls=… noop_wall_s=…
peak_rss_mb=… baseline_calls_per_participant=… call_ratio=…``; the exit status is 1 when a
target is missed. ``--keep`` keeps the database (and prints how to open it).
"""

from __future__ import annotations

import argparse
import json
import math
import os
import secrets
import shutil
import subprocess
import sys
import tempfile
import threading
import time

import bench_data  # beside this script: Python runs a script with its folder importable
import odoo_env

# installed by `pip install -r requirements-dev.txt` (make test does it)
from mailjet_sandbox.testing import SandboxProcess

ROOT = odoo_env.ROOT
VAR = os.path.join(ROOT, "var")

# Targets (the issue): initial sync, no-change sync, memory.
MAX_CALLS = 200
MAX_WALL_S = 90.0
MAX_RSS_MB = 500.0
NOOP_CALLS_PER_LIST = 5
NOOP_CALLS_PER_1000_CHANGED = 1


def log(message: str) -> None:
    print(f"[bench {time.strftime('%H:%M:%S')}] {message}", flush=True)


def _calls(sandbox: SandboxProcess) -> dict:
    return sandbox.calls()


def _delta(before: dict, after: dict) -> tuple[int, dict, list]:
    """API calls between two call-log snapshots: total, by kind, and the entries."""
    total = after["total"] - before["total"]
    by = {k: n - before["by"].get(k, 0) for k, n in after["by"].items()}
    by = {k: n for k, n in sorted(by.items()) if n}
    entries = after["calls"][-total:] if total else []
    return total, by, entries


# ---------------------------------------------------------------------- baseline
class Baseline(threading.Thread):
    """One managecontact call per participant (addnoforce, or unsub for a declined one),
    sequentially, like a per-record connector."""

    def __init__(self, sandbox: SandboxProcess, rows: list[bench_data.ParticipantRow]):
        super().__init__(name="baseline", daemon=True)
        self.sandbox, self.rows = sandbox, rows
        self.calls = 0
        self.managecontact_calls = 0
        self.wall_s = 0.0
        self.errors = 0
        self.failure: BaseException | None = None

    def run(self) -> None:
        try:
            self._run()
        except BaseException as exc:  # reported by the main thread
            self.failure = exc

    def _run(self) -> None:
        import mailjet_rest

        client = mailjet_rest.Client(
            auth=(self.sandbox.api_key, self.sandbox.api_secret),
            api_url=self.sandbox.url,
            timeout=30,
        )
        before = _calls(self.sandbox)
        started = time.monotonic()
        created = client.contactslist.create(data={"Name": f"Baseline {secrets.token_hex(4)}"})
        list_id = created.json()["Data"][0]["ID"]
        mid = _calls(self.sandbox)
        for row in self.rows:
            data = {"Email": row.email, "Action": "unsub" if row.declined else "addnoforce"}
            if row.name:
                data["Name"] = row.name
            response = client.contactslist_managecontact.create(id=list_id, data=data)
            if response.status_code != 201:
                self.errors += 1
        self.wall_s = time.monotonic() - started
        after = _calls(self.sandbox)
        self.calls, _by, _ = _delta(before, after)
        self.managecontact_calls, _by, _ = _delta(mid, after)
        client.close()


# ---------------------------------------------------------------------- steps
def run_logged(cmd: list[str], log_path: str, what: str, timeout: float = 3600) -> None:
    with open(log_path, "w", encoding="utf-8") as handle:
        proc = subprocess.run(
            cmd, cwd=ROOT, stdout=handle, stderr=subprocess.STDOUT, timeout=timeout, check=False
        )
    if proc.returncode != 0:
        with open(log_path, encoding="utf-8", errors="replace") as handle:
            tail = handle.read()[-4000:]
        raise SystemExit(f"{what} failed (exit {proc.returncode}); {log_path}:\n{tail}")


def odoo_step(python: str, step: str, conf: str, db: str, extra: list[str], tag: str) -> dict:
    with tempfile.NamedTemporaryFile(
        prefix=f"bench-{tag}-", suffix=".json", delete=False
    ) as handle:
        out = handle.name
    try:
        run_logged(
            [
                python,
                os.path.join(ROOT, "scripts", "bench_odoo.py"),
                step,
                "--conf",
                conf,
                "--db",
                db,
                "--out",
                out,
                *extra,
            ],
            os.path.join(VAR, f"bench-{tag}.log"),
            f"bench_odoo.py {step} ({tag})",
        )
        with open(out, encoding="utf-8") as handle:
            return json.load(handle)
    finally:
        os.unlink(out)


def measured_sync(python, conf, db, sandbox, tag) -> dict:
    before = _calls(sandbox)
    started = time.monotonic()
    result = odoo_step(python, "sync", conf, db, [], tag)
    result["process_s"] = round(time.monotonic() - started, 1)
    after = _calls(sandbox)
    result["api_calls"], result["calls_by"], entries = _delta(before, after)
    result["mailjet_writes"] = sum(1 for c in entries if c["method"] != "GET")
    return result


def verify_lists(sandbox: SandboxProcess, lists: list[dict]) -> list[str]:
    """The sandbox's lists hold every participant, declined ones unsubscribed."""
    problems = []
    for lst in lists:
        state = sandbox.control("GET", "state", query=f"list={lst['list_id']}")
        found = [x for x in state["lists"] if x["ID"] == lst["list_id"]]
        if not found:
            problems.append(f"list {lst['list_id']} missing in the sandbox")
            continue
        members = found[0]["members"]
        unsub = sum(1 for m in members if m["IsUnsubscribed"])
        if (len(members), unsub) != (lst["participants"], lst["declined"]):
            problems.append(
                f"list {lst['list_id']}: {len(members)} members / {unsub} unsubscribed in "
                f"Mailjet, {lst['participants']} participants / {lst['declined']} declined"
            )
        if (lst["counted_total"], lst["counted_unsubscribed"]) != (len(members), unsub):
            problems.append(
                f"list {lst['list_id']}: campaign counters {lst['counted_total']}/"
                f"{lst['counted_unsubscribed']} differ from Mailjet's {len(members)}/{unsub}"
            )
    return problems


# ---------------------------------------------------------------------- report
def table(rows: list[tuple[str, str, str, str]]) -> str:
    widths = [max(len(r[i]) for r in rows) for i in range(4)]
    lines = []
    for n, row in enumerate(rows):
        lines.append("  ".join(cell.ljust(widths[i]) for i, cell in enumerate(row)).rstrip())
        if n == 0:
            lines.append("  ".join("-" * w for w in widths))
    return "\n".join(lines)


def mark(ok: bool) -> str:
    return "ok" if ok else "MISSED"


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description="ems_mailjet benchmark (see module doc)")
    parser.add_argument("--participants", type=int, default=100_000)
    parser.add_argument("--campaigns", type=int, default=20)
    parser.add_argument("--partners", type=int, default=10_000)
    parser.add_argument("--employees", type=int, default=1_000)
    parser.add_argument(
        "--baseline", type=int, default=2_000, help="participants in the per-contact baseline"
    )
    parser.add_argument("--latency-ms", type=float, default=20)
    parser.add_argument("--db", default="ems_bench")
    parser.add_argument("--keep", action="store_true", help="keep the database")
    args = parser.parse_args(argv)

    total_started = time.monotonic()
    os.makedirs(VAR, exist_ok=True)
    python = odoo_env.odoo_python()
    major, version = odoo_env.odoo_version(python)
    if major != 18:
        print(f"bench needs Odoo 18 importable by {python}: {version}", file=sys.stderr)
        return 2
    sizes = bench_data.Sizes(
        participants=args.participants,
        campaigns=args.campaigns,
        partners=args.partners,
        employees=args.employees,
    )
    rows = bench_data.participants(sizes)
    key, secret = "bench-key", "bench-" + secrets.token_urlsafe(12)

    with odoo_env.postgres(log) as server:
        conf = os.path.join(VAR, f"bench-{os.getpid()}.conf")
        odoo_env.write_odoo_conf(conf, server, args.db, odoo_env.free_port())
        odoo_env.drop_database(server, args.db)
        sandbox = SandboxProcess(api_key=key, api_secret=secret, latency_ms=args.latency_ms)
        try:
            sandbox.start()
            log(f"sandbox on {sandbox.url} (--latency-ms {args.latency_ms:g})")
            baseline = Baseline(sandbox, rows[: args.baseline])
            baseline.start()
            log(f"baseline: {args.baseline} managecontact calls, while Odoo installs")

            log(f"installing ems_mailjet into a fresh database {args.db}")
            started = time.monotonic()
            run_logged(
                [
                    python,
                    "-m",
                    "odoo",
                    "-c",
                    conf,
                    "-d",
                    args.db,
                    "-i",
                    "ems_mailjet",
                    "--without-demo=all",
                    "--stop-after-init",
                    "--no-http",
                    "--log-level=warn",
                ],
                os.path.join(VAR, "bench-install.log"),
                "installing ems_mailjet",
            )
            install_s = time.monotonic() - started
            log(f"installed in {install_s:.0f} s; building the data")
            built = odoo_step(
                python,
                "build",
                conf,
                args.db,
                [
                    "--api-url",
                    sandbox.url,
                    "--api-key",
                    key,
                    "--api-secret",
                    secret,
                    "--participants",
                    str(args.participants),
                    "--campaigns",
                    str(args.campaigns),
                    "--partners",
                    str(args.partners),
                    "--employees",
                    str(args.employees),
                ],
                "build",
            )
            log(
                f"built in {built['build_s']:.0f} s: {built['participants']} participants "
                f"({built['from_partners']} partners, {built['from_employees']} employees, "
                f"{built['bare']} bare addresses, {built['declined']} declined); "
                f"{built['checked']} rows checked against the ORM"
            )
            baseline.join()
            if baseline.failure:
                raise baseline.failure
            log(
                f"baseline: {baseline.managecontact_calls} managecontact calls in "
                f"{baseline.wall_s:.1f} s ({baseline.errors} errors)"
            )

            log("initial sync")
            first = measured_sync(python, conf, args.db, sandbox, "initial")
            log(
                f"initial sync: {first['api_calls']} API calls, {first['wall_s']} s, "
                f"state {first['state']}"
            )
            problems = verify_lists(sandbox, first["lists"])
            log("no-change sync")
            second = measured_sync(python, conf, args.db, sandbox, "noop")
            log(f"no-change sync: {second['api_calls']} API calls, {second['wall_s']} s")
        finally:
            sandbox.stop()
            if args.keep:
                log(f"database kept: python3 -m odoo -c {conf} -d {args.db}")
            else:
                odoo_env.drop_database(server, args.db)
                os.unlink(conf)
                shutil.rmtree(
                    os.path.join(VAR, "filestore", "filestore", args.db), ignore_errors=True
                )

    lists = len(first["lists"])
    changed = second["written"]["ems_campaign_participant"] + second["mailjet_writes"]
    noop_budget = NOOP_CALLS_PER_LIST * lists + NOOP_CALLS_PER_1000_CHANGED * math.ceil(
        changed / 1000
    )
    b_per = baseline.managecontact_calls / max(1, len(baseline.rows))
    ratio = b_per * built["participants"] / max(1, first["api_calls"])
    peak = max(first["peak_rss_mb"], second["peak_rss_mb"])
    noop_erp_writes = sum(
        second["written"][t] for t in ("ems_campaign_participant", "res_partner", "hr_employee")
    )
    checks = {
        "calls": first["api_calls"] <= MAX_CALLS,
        "wall": first["wall_s"] <= MAX_WALL_S,
        "rss": peak <= MAX_RSS_MB,
        "noop_calls": second["api_calls"] <= noop_budget,
        "noop_writes": second["mailjet_writes"] == 0 and noop_erp_writes == 0,
        "initial_ok": first["state"] == "done"
        and not first["errors"]
        and first["out_of_sync"] == 0
        and not problems,
        "noop_ok": second["state"] == "done" and not second["errors"],
    }

    print()
    print(
        table(
            [
                ("", "initial sync", "no-change sync", "target"),
                (
                    "API calls (sandbox)",
                    str(first["api_calls"]),
                    str(second["api_calls"]),
                    f"<= {MAX_CALLS} / <= {noop_budget} ({NOOP_CALLS_PER_LIST}/list)",
                ),
                (
                    "  of which writes (POST/PUT/DELETE)",
                    str(first["mailjet_writes"]),
                    str(second["mailjet_writes"]),
                    "no-change: 0",
                ),
                (
                    "wall time of the sync (s)",
                    f"{first['wall_s']:.1f}",
                    f"{second['wall_s']:.1f}",
                    f"<= {MAX_WALL_S:g} (initial)",
                ),
                (
                    "Odoo process, start to end (s)",
                    f"{first['process_s']:.1f}",
                    f"{second['process_s']:.1f}",
                    "",
                ),
                (
                    "peak RSS of the Odoo process (MB)",
                    f"{first['peak_rss_mb']:.0f}",
                    f"{second['peak_rss_mb']:.0f}",
                    f"<= {MAX_RSS_MB:g}",
                ),
                (
                    "  RSS before the sync call (MB)",
                    f"{first['rss_before_sync_mb']:.0f}",
                    f"{second['rss_before_sync_mb']:.0f}",
                    "",
                ),
                ("SQL queries", str(first["sql_queries"]), str(second["sql_queries"]), ""),
                (
                    "participants written",
                    str(first["written"]["ems_campaign_participant"]),
                    str(second["written"]["ems_campaign_participant"]),
                    "no-change: 0",
                ),
                (
                    "partners / employees written",
                    f"{first['written']['res_partner']} / {first['written']['hr_employee']}",
                    f"{second['written']['res_partner']} / {second['written']['hr_employee']}",
                    "no-change: 0",
                ),
                (
                    "campaigns written (last sync, counters)",
                    str(first["written"]["utm_campaign"]),
                    str(second["written"]["utm_campaign"]),
                    "",
                ),
                (
                    "pushed / unsubscribed in Mailjet",
                    f"{first['pushed']} / {first['unsubscribed_in_mailjet']}",
                    f"{second['pushed']} / {second['unsubscribed_in_mailjet']}",
                    "",
                ),
                (
                    "lists done / errors",
                    f"{first['lists_done']}/{first['lists_total']} / {first['errors']}",
                    f"{second['lists_done']}/{second['lists_total']} / {second['errors']}",
                    "",
                ),
                ("run state", first["state"], second["state"], "done"),
            ]
        )
    )
    print()
    print(
        "API calls by kind, initial:  "
        + ", ".join(f"{k} {n}" for k, n in first["calls_by"].items())
    )
    print(
        "API calls by kind, no-change: "
        + ", ".join(f"{k} {n}" for k, n in second["calls_by"].items())
    )
    print(
        f"baseline: {baseline.managecontact_calls} managecontact calls for "
        f"{len(baseline.rows)} participants in {baseline.wall_s:.1f} s while Odoo "
        f"installed ({baseline.errors} errors) -> {b_per:.3f} calls/participant; for "
        f"{built['participants']} participants {b_per * built['participants']:.0f} calls, "
        f"~{baseline.wall_s / max(1, len(baseline.rows)) * built['participants'] / 60:.0f} "
        f"min at this latency"
    )
    print(
        f"data: {built['participants']} participants in {lists} campaigns, "
        f"{built['partners']} partners, {built['employees']} employees; "
        f"install {install_s:.0f} s, build {built['build_s']:.0f} s"
    )
    for problem in problems:
        print(f"PROBLEM: {problem}")
    if first["log"]:
        print("initial run log: " + first["log"].replace("\n", " | ")[:1000])
    missed = [name for name, ok in checks.items() if not ok]
    print(f"targets: {', '.join(f'{k} {mark(v)}' for k, v in checks.items())}")
    print(f"make bench total: {time.monotonic() - total_started:.0f} s")
    print(
        f"BENCH participants={built['participants']} api_calls={first['api_calls']} "
        f"wall_s={first['wall_s']:.1f} noop_api_calls={second['api_calls']} "
        f"noop_wall_s={second['wall_s']:.1f} peak_rss_mb={peak:.0f} "
        f"baseline_calls_per_participant={b_per:.2f} call_ratio={ratio:.0f}",
        flush=True,
    )
    return 1 if missed else 0


if __name__ == "__main__":
    sys.exit(main())

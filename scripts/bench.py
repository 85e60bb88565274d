"""`make bench`: 100,000 participants in 20 newsletter campaigns against the Mailjet sandbox;
`make bench-1m`: the same with 1,000,000 participants in 200 campaigns.

Steps (only the three syncs are timed):

1. PostgreSQL as for ``make test`` (``scripts/odoo_env.py``); a fresh database (``--db``,
   default ``ems_bench`` or ``$BENCH_DB``) with ``-i ems_mailjet --without-demo=all``.
2. The sandbox (``python -m mailjet_sandbox --latency-ms 20``, default job polling).
3. While Odoo installs and the data is built: the per-contact baseline — one
   ``contactslist/{id}/managecontact`` call per participant, as the existing connectors do,
   for a slice of 2,000 participants into a fresh list, with ``mailjet_rest.Client``.
4. Data (``scripts/bench_data.py``, ``scripts/bench_odoo.py build``): partners with one
   bulk INSERT (copied from an ORM-made partner, a sample compared with ORM-made ones),
   employees through the ORM, the campaigns, and the participants (from partners, from
   employees, bare addresses; about 5 % declined) with one bulk INSERT per 100,000 rows,
   checked against the ORM.
5. The initial sync, then a sync that finds nothing to do, each in its own Odoo process
   (``scripts/bench_odoo.py sync``: ``ems.interface._run_sync(trigger="manual",
   auto_commit=True)`` with the interface's production gateway options).
6. The normal night: about 1 % changes on both sides. ERP (``bench_odoo.py delta``, through
   the ORM): 0.5 % new participants, 0.2 % declines, 0.1 % partners with a new e-mail
   address. Mailjet (the sandbox's control endpoints): 0.2 % unsubscribes, 0.1 % widget
   signups (half of them by a partner or an employee), 0.05 % exclusions. Then a third
   sync, and ``bench_odoo.py verify`` compares every campaign with its Mailjet list row by
   row (same addresses; declined exactly where unsubscribed; synced state; excluded flag;
   signups linked to their partner or employee; every unsubscribe and decline arrived).

API calls are counted by the sandbox (``/_sandbox/calls`` before/after), wall time around
the sync call, peak RSS with ``getrusage`` inside that process, and the 1-minute load
average before and after each sync (the machine is shared: read wall times with it).

The last line is ``BENCH participants=… lists=… api_calls=… wall_s=… noop_api_calls=…
noop_wall_s=… delta_api_calls=… delta_wall_s=… delta_ok=… peak_rss_mb=…
baseline_calls_per_participant=… call_ratio=… load_avg=…`` (``parse_bench`` reads it back);
the exit status is 1 when a target is missed. ``--keep`` keeps the database (and prints how
to open it).
"""

from __future__ import annotations

import argparse
import itertools
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

# Targets (issue 14), by size: the 100,000 and the 1,000,000 participant benchmark.
TARGETS = {
    "100k": {
        "initial_wall_s": 15.0,
        "initial_calls_per_list": 10,
        "rss_mb": 500.0,
        "noop_calls": lambda lists: 25,
        "noop_wall_s": 1.5,
        "delta_wall_s": 5.0,
    },
    "1m": {
        "initial_wall_s": 150.0,
        "initial_calls_per_list": 10,
        "rss_mb": 400.0,
        "noop_calls": lambda lists: math.floor(1.1 * lists + 5),
        "noop_wall_s": 10.0,
        "delta_wall_s": 30.0,
    },
}
DELTA_CALLS_PER_LIST = 2
DELTA_CALLS_PER_1000_CHANGES = 1
# the normal night (issue 14): shares of all participants
MAILJET_UNSUBSCRIBES = 0.002
MAILJET_SIGNUPS = 0.001
MAILJET_EXCLUSIONS = 0.0005


BENCH_FORMATS = {
    "participants": "{:d}",
    "lists": "{:d}",
    "api_calls": "{:d}",
    "wall_s": "{:.1f}",
    "noop_api_calls": "{:d}",
    "noop_wall_s": "{:.1f}",
    "delta_api_calls": "{:d}",
    "delta_wall_s": "{:.1f}",
    "delta_ok": "{:d}",
    "peak_rss_mb": "{:.0f}",
    "baseline_calls_per_participant": "{:.2f}",
    "call_ratio": "{:.0f}",
    "load_avg": "{:.1f}",
}


def bench_line(**values: float) -> str:
    """``BENCH key=value ...``, the fields of ``BENCH_FORMATS`` in that order."""
    return "BENCH " + " ".join(
        f"{key}={fmt.format(values[key])}" for key, fmt in BENCH_FORMATS.items()
    )


def parse_bench(line: str) -> dict[str, float]:
    """The numbers of a ``BENCH key=value ...`` line (for comparing runs)."""
    words = line.split()
    if not words or words[0] != "BENCH":
        raise ValueError("not a BENCH line")
    values = {}
    for word in words[1:]:
        key, _eq, value = word.partition("=")
        values[key] = float(value)
    return values


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
    load_before = os.getloadavg()[0]
    before = _calls(sandbox)
    started = time.monotonic()
    result = odoo_step(python, "sync", conf, db, [], tag)
    result["process_s"] = round(time.monotonic() - started, 1)
    after = _calls(sandbox)
    result["api_calls"], result["calls_by"], entries = _delta(before, after)
    result["mailjet_writes"] = sum(1 for c in entries if c["method"] != "GET")
    if os.environ.get("BENCH_DUMP_CALLS"):
        with open(f"{os.environ['BENCH_DUMP_CALLS']}.{tag}.json", "w") as handle:
            json.dump(entries, handle)
    result["load"] = (round(load_before, 2), round(os.getloadavg()[0], 2))
    return result


SUMMARY = ("written", "participants", "never_synced", "out_of_sync", "lists")
COUNTS = ("pushed", "unsubscribed_in_mailjet", "declined_from_mailjet", "new_signups", "errors")


def workers_sync(python, conf, db, sandbox, workers) -> dict:
    """The initial sync by ``workers`` Odoo processes started together, each running the
    cron's entry point (``bench_odoo.py worker``); returns what ``measured_sync`` returns
    for one process (sums, maxima) plus ``workers`` (each one's numbers) and ``twice``
    (lists that more than one nightly run synchronised: must be 0)."""
    prepared = odoo_step(python, "workers-prepare", conf, db, ["--workers", str(workers)], "wprep")
    load_before = os.getloadavg()[0]
    before = _calls(sandbox)
    start_at = time.time() + 20  # every process has loaded Odoo by then
    results: dict[int, dict] = {}
    failures: list[BaseException] = []

    def run(number):
        try:
            results[number] = odoo_step(
                python,
                "worker",
                conf,
                db,
                ["--worker", str(number), "--start-at", f"{start_at:.3f}"],
                f"worker{number}",
            )
        except BaseException as exc:  # reported below
            failures.append(exc)

    threads = [threading.Thread(target=run, args=(n,)) for n in range(1, workers + 1)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if failures:
        raise failures[0]
    after = _calls(sandbox)
    load_after = os.getloadavg()[0]
    check = odoo_step(python, "workers-check", conf, db, ["--since", prepared["mark"]], "wcheck")
    each = [results[n] for n in sorted(results)]
    result = {
        "wall_s": round(
            max(r["ended_epoch"] for r in each) - min(r["started_epoch"] for r in each), 2
        ),
        "process_s": max(r["wall_s"] for r in each),
        "peak_rss_mb": max(r["peak_rss_mb"] for r in each),
        "rss_before_sync_mb": max(r["rss_before_sync_mb"] for r in each),
        "sql_queries": sum(r["sql_queries"] for r in each),
        "state": "/".join(sorted({r["state"] for r in each})),
        "lists_total": max(r["lists_total"] for r in each),
        "lists_done": sum(r["lists_done"] for r in each),
        "log": " | ".join(r["log"] for r in each if r["log"]),
        "workers": each,
        "crons": prepared["crons"],
        "runs": check["runs"],
        "twice": sorted(k for k, n in check["runs_per_list"].items() if n > 1),
        "never": sorted(k for k, n in check["runs_per_list"].items() if n == 0),
        "stamped_since": check["stamped_since"],
        **{k: check[k] for k in SUMMARY},
    }
    for name in COUNTS:
        result[name] = sum(r[name] for r in each)
    result["api_calls"], result["calls_by"], entries = _delta(before, after)
    result["mailjet_writes"] = sum(1 for c in entries if c["method"] != "GET")
    result["load"] = (round(load_before, 2), round(load_after, 2))
    return result


def workers_line(first: dict) -> str:
    """``WORKERS workers=… wall_s=… worker_wall_s=a/b lists=a/b twice=… never=… load_avg=…``"""
    each = first["workers"]
    return (
        f"WORKERS workers={len(each)} wall_s={first['wall_s']:.1f} "
        f"worker_wall_s={'/'.join(format(r['wall_s'], '.1f') for r in each)} "
        f"lists={'/'.join(str(r['lists_done']) for r in each)} "
        f"runs={first['runs']} twice={len(first['twice'])} never={len(first['never'])} "
        f"api_calls={first['api_calls']} load_avg={max(first['load']):.1f}"
    )


def mailjet_delta(sandbox, lists, erp, sizes, total, seed) -> dict:
    """The Mailjet half of a normal night, through the sandbox's control endpoints:
    unsubscribe links clicked (0.2 %), widget signups (0.1 %, half of them by a partner or
    an employee), addresses excluded from campaigns (0.05 %). Nobody the ERP changed
    tonight is touched, so what each side must end with is known."""
    import random

    rng = random.Random(seed)
    touched = {(a, b.lower()) for a, b in erp["new"] + erp["declined"]}
    old_partner_emails = {old.lower() for _pid, old, _new in erp["partner_emails"]}
    members: dict[int, set[str]] = {}
    subscribed: list[tuple[int, str]] = []
    for lst in lists:
        list_id = lst["list_id"]
        state = sandbox.control("GET", "state", query=f"list={list_id}")
        rows = [m for x in state["lists"] if x["ID"] == list_id for m in x["members"]]
        members[list_id] = {m["Email"].lower() for m in rows}
        subscribed += [
            (list_id, m["Email"].lower())
            for m in rows
            if not m["IsUnsubscribed"]
            and (list_id, m["Email"].lower()) not in touched
            and m["Email"].lower() not in old_partner_emails
        ]
    subscribed.sort()
    picks = rng.sample(
        subscribed, round(total * MAILJET_UNSUBSCRIBES) + round(total * MAILJET_EXCLUSIONS)
    )
    unsubscribes = picks[: round(total * MAILJET_UNSUBSCRIBES)]
    excluded = sorted({email for _l, email in picks[len(unsubscribes) :]})
    for list_id, email in unsubscribes:
        sandbox.unsubscribe(list_id, email)
    for email in excluded:
        sandbox.exclude(email)
    partner_emails = [p.email.lower() for p in bench_data.partners(sizes)]
    employee_emails = [e.work_email.lower() for e in bench_data.employees(sizes)]
    signups = []
    n_signups = round(total * MAILJET_SIGNUPS)
    while len(signups) < n_signups:
        list_id = rng.choice(lists)["list_id"]
        if len(signups) % 2:
            email, kind = f"widget.{len(signups):06d}@example.net", "bare"
        elif len(signups) % 10 == 4:
            email, kind = rng.choice(employee_emails), "employee"
        else:
            email, kind = rng.choice(partner_emails), "partner"
        if (
            email in members[list_id]
            or (list_id, email) in touched
            or email in old_partner_emails
            or any(s[0] == list_id and s[1] == email for s in signups)
        ):
            continue
        sandbox.signup(list_id, email, "Widget Reader" if kind == "bare" else "")
        signups.append([list_id, email, kind])
    return {
        "unsubscribes": [list(u) for u in unsubscribes],
        "excluded": excluded,
        "signups": signups,
    }


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
def table(rows: list[tuple[str, ...]]) -> str:
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
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
    parser.add_argument("--db", default=os.environ.get("BENCH_DB", "ems_bench"))
    parser.add_argument("--keep", action="store_true", help="keep the database")
    parser.add_argument(
        "--workers",
        type=int,
        default=1,
        help="the initial sync by this many parallel sync workers (Odoo processes started "
        "together, each running the cron's entry point); prints a WORKERS line",
    )
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
    rows = list(itertools.islice(bench_data.iter_participants(sizes), args.baseline))
    targets = TARGETS["1m" if args.participants >= 500_000 else "100k"]
    key, secret = "bench-key", "bench-" + secrets.token_urlsafe(12)

    with odoo_env.postgres(log) as server:
        conf = os.path.join(VAR, f"bench-{os.getpid()}.conf")
        odoo_env.write_odoo_conf(conf, server, args.db, odoo_env.free_port())
        odoo_env.drop_database(server, args.db)
        sandbox = SandboxProcess(api_key=key, api_secret=secret, latency_ms=args.latency_ms)
        try:
            sandbox.start()
            log(f"sandbox on {sandbox.url} (--latency-ms {args.latency_ms:g})")
            baseline = Baseline(sandbox, rows)
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

            if args.workers > 1:
                log(f"initial sync by {args.workers} parallel workers (Odoo processes)")
                first = workers_sync(python, conf, args.db, sandbox, args.workers)
                for r in first["workers"]:
                    log(
                        f"worker {r['worker']}: {r['wall_s']} s, {r['lists_done']} lists "
                        f"(left {r['lists_elsewhere']} to the others), state {r['state']}, "
                        f"peak RSS {r['peak_rss_mb']:.0f} MB"
                    )
                log(
                    f"both: {first['wall_s']} s, {first['api_calls']} API calls; nightly runs "
                    f"per list: {len(first['twice'])} lists more than once, "
                    f"{len(first['never'])} never; {first['stamped_since']} lists stamped"
                )
                log(workers_line(first))
            else:
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
            log("the night's changes, ERP side (ORM)")
            erp = odoo_step(python, "delta", conf, args.db, [], "delta-erp")
            log("the night's changes, Mailjet side (sandbox control endpoints)")
            mj = mailjet_delta(
                sandbox, first["lists"], erp, sizes, built["participants"], seed=20261129
            )
            night = {
                "erp_new": len(erp["new"]),
                "erp_declined": len(erp["declined"]),
                "erp_partner_emails": len(erp["partner_emails"]),
                "mailjet_unsubscribes": len(mj["unsubscribes"]),
                "mailjet_signups": len(mj["signups"]),
                "mailjet_excluded": len(mj["excluded"]),
            }
            log("changes: " + ", ".join(f"{k} {v}" for k, v in night.items()))
            log("delta sync")
            third = measured_sync(python, conf, args.db, sandbox, "delta")
            log(f"delta sync: {third['api_calls']} API calls, {third['wall_s']} s")
            with tempfile.NamedTemporaryFile(
                "w", prefix="bench-expect-", suffix=".json", delete=False
            ) as handle:
                json.dump(
                    {
                        "excluded": mj["excluded"],
                        "signups": mj["signups"],
                        "must_decline": mj["unsubscribes"] + erp["declined"],
                    },
                    handle,
                )
                expect_path = handle.name
            try:
                verified = odoo_step(
                    python,
                    "verify",
                    conf,
                    args.db,
                    ["--api-url", sandbox.url, "--expect", expect_path],
                    "verify",
                )
            finally:
                os.unlink(expect_path)
            log(
                f"row by row: {verified['rows']} participants checked, "
                f"{verified['problem_count']} problems"
            )
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
    changes = sum(night.values())
    max_calls = targets["initial_calls_per_list"] * lists
    noop_budget = targets["noop_calls"](lists)
    delta_budget = DELTA_CALLS_PER_LIST * lists + DELTA_CALLS_PER_1000_CHANGES * math.ceil(
        changes / 1000
    )
    b_per = baseline.managecontact_calls / max(1, len(baseline.rows))
    ratio = b_per * built["participants"] / max(1, first["api_calls"])
    peak = max(first["peak_rss_mb"], second["peak_rss_mb"], third["peak_rss_mb"])
    noop_erp_writes = sum(
        second["written"][t] for t in ("ems_campaign_participant", "res_partner", "hr_employee")
    )
    delta_ok = (
        third["state"] == "done"
        and not third["errors"]
        and third["out_of_sync"] == 0
        and verified["problem_count"] == 0
    )
    load = max(x for r in (first, second, third) for x in r["load"])
    checks = {
        "calls": first["api_calls"] <= max_calls,
        "wall": first["wall_s"] <= targets["initial_wall_s"],
        "rss": peak <= targets["rss_mb"],
        "noop_calls": second["api_calls"] <= noop_budget,
        "noop_wall": second["wall_s"] <= targets["noop_wall_s"],
        "noop_writes": second["mailjet_writes"] == 0 and noop_erp_writes == 0,
        "delta_calls": third["api_calls"] <= delta_budget,
        "delta_wall": third["wall_s"] <= targets["delta_wall_s"],
        "initial_ok": first["state"] == "done"
        and not first["errors"]
        and first["out_of_sync"] == 0
        and not problems,
        "noop_ok": second["state"] == "done" and not second["errors"],
        "delta_ok": delta_ok,
    }

    runs = (first, second, third)

    def row(label, fmt, target=""):
        return (label, *(fmt(r) for r in runs), target)

    print()
    print(
        table(
            [
                ("", "initial sync", "no-change sync", "delta sync", "target"),
                row(
                    "API calls (sandbox)",
                    lambda r: str(r["api_calls"]),
                    f"<= {max_calls} / <= {noop_budget} / <= {delta_budget}",
                ),
                row(
                    "  of which writes (POST/PUT/DELETE)",
                    lambda r: str(r["mailjet_writes"]),
                    "no-change: 0",
                ),
                row(
                    "wall time of the sync (s)",
                    lambda r: f"{r['wall_s']:.1f}",
                    f"<= {targets['initial_wall_s']:g} / <= {targets['noop_wall_s']:g} / "
                    f"<= {targets['delta_wall_s']:g}",
                ),
                row("Odoo process, start to end (s)", lambda r: f"{r['process_s']:.1f}"),
                row(
                    "load average (1 min) before / after",
                    lambda r: f"{r['load'][0]:.1f} / {r['load'][1]:.1f}",
                ),
                row(
                    "peak RSS of the Odoo process (MB)",
                    lambda r: f"{r['peak_rss_mb']:.0f}",
                    f"<= {targets['rss_mb']:g}",
                ),
                row("  RSS before the sync call (MB)", lambda r: f"{r['rss_before_sync_mb']:.0f}"),
                row("SQL queries", lambda r: str(r["sql_queries"])),
                row(
                    "participants written",
                    lambda r: str(r["written"]["ems_campaign_participant"]),
                    "no-change: 0",
                ),
                row(
                    "partners / employees written",
                    lambda r: f"{r['written']['res_partner']} / {r['written']['hr_employee']}",
                    "no-change: 0",
                ),
                row(
                    "campaigns written (last sync, counters)",
                    lambda r: str(r["written"]["utm_campaign"]),
                ),
                row(
                    "pushed / unsubscribed in Mailjet",
                    lambda r: f"{r['pushed']} / {r['unsubscribed_in_mailjet']}",
                ),
                row(
                    "declined from Mailjet / new signups",
                    lambda r: f"{r['declined_from_mailjet']} / {r['new_signups']}",
                ),
                row(
                    "lists done / errors",
                    lambda r: f"{r['lists_done']}/{r['lists_total']} / {r['errors']}",
                ),
                row("run state", lambda r: r["state"], "done"),
            ]
        )
    )
    print()
    for name, r in zip(("initial", "no-change", "delta"), runs, strict=True):
        print(
            f"API calls by kind, {name}: " + ", ".join(f"{k} {n}" for k, n in r["calls_by"].items())
        )
    print(
        f"the night: {night['erp_new']} new participants, {night['erp_declined']} declines, "
        f"{night['erp_partner_emails']} partner addresses changed in the ERP "
        f"({erp['erp_delta_s']} s through the ORM); {night['mailjet_unsubscribes']} "
        f"unsubscribes, {night['mailjet_signups']} widget signups, "
        f"{night['mailjet_excluded']} exclusions in Mailjet; {changes} changes in all"
    )
    print(
        f"row by row: {verified['rows']} participants against their Mailjet lists, "
        f"{verified['problem_count']} problems"
    )
    for problem in verified["problems"]:
        print(f"PROBLEM (delta): {problem}")
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
    for name, r in zip(("initial", "delta"), (first, third), strict=True):
        if r["errors"] and r["log"]:
            print(f"{name} run log: " + r["log"].replace("\n", " | ")[:1000])
    if args.workers > 1:
        checks["workers_once"] = not first["twice"] and not first["never"]
        print(workers_line(first))
    missed = [name for name, ok in checks.items() if not ok]
    print(f"targets: {', '.join(f'{k} {mark(v)}' for k, v in checks.items())}")
    print(f"make bench total: {time.monotonic() - total_started:.0f} s")
    print(
        bench_line(
            participants=built["participants"],
            lists=lists,
            api_calls=first["api_calls"],
            wall_s=first["wall_s"],
            noop_api_calls=second["api_calls"],
            noop_wall_s=second["wall_s"],
            delta_api_calls=third["api_calls"],
            delta_wall_s=third["wall_s"],
            delta_ok=int(delta_ok),
            peak_rss_mb=peak,
            baseline_calls_per_participant=b_per,
            call_ratio=ratio,
            load_avg=load,
        ),
        flush=True,
    )
    return 1 if missed else 0


if __name__ == "__main__":
    sys.exit(main())

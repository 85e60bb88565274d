"""The Odoo side of ``scripts/bench.py``, run as its own process (one per step).

    python3 scripts/bench_odoo.py build  --conf C --db D --out F.json --api-url U --api-key K
                                         --api-secret S [--participants N ...]
    python3 scripts/bench_odoo.py sync   --conf C --db D --out F.json
    python3 scripts/bench_odoo.py workers-prepare --workers N ...
    python3 scripts/bench_odoo.py worker --worker K --start-at EPOCH ...
    python3 scripts/bench_odoo.py workers-check --since ISO ...

``build`` fills a fresh database (``-i ems_mailjet --without-demo=all``) with partners and
employees through the ORM, the newsletter campaigns and the interface through the ORM, and
the participants with one bulk ``INSERT`` whose rows are checked against participants the
ORM creates from the same values. ``sync`` runs one full synchronisation exactly as the
cron does (``ems.interface._run_sync(auto_commit=True)``) and records its wall time, the
process's peak RSS, the SQL queries and which rows it wrote. Results go to ``--out`` as
JSON; Odoo's log goes to stderr.

``bench.py --workers N``: ``workers-prepare`` gives the interface N parallel sync workers
and a 24-hour window that is open now; N ``worker`` processes, started together, each wait
for ``--start-at`` and then run the cron's entry point ``ems.interface._cron_sync(worker=K)``;
``workers-check`` counts, per list, the nightly runs that synchronised it (must be 1).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import sys
import time
from datetime import timedelta

import bench_data  # beside this script: Python runs a script with its folder importable

QUIET = {
    "tracking_disable": True,
    "mail_create_nolog": True,
    "mail_notrack": True,
    "mail_auto_subscribe_no_notify": True,
    "no_reset_password": True,
}


def _rss_mb() -> float:
    """Peak resident set size of this process so far (Linux: ru_maxrss is in KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def _current_rss_mb() -> float:
    try:
        with open("/proc/self/statm", encoding="ascii") as handle:
            pages = int(handle.read().split()[1])
        return pages * os.sysconf("SC_PAGE_SIZE") / 1024 / 1024
    except (OSError, ValueError, IndexError):
        return 0.0


def _open(conf: str, db: str):
    import odoo
    from odoo.modules.registry import Registry
    from odoo.tools import config

    config.parse_config(["-c", conf, "-d", db, "--log-level=warn", "--no-http"])
    odoo.service.server.load_server_wide_modules()
    return Registry(db)


# ---------------------------------------------------------------------- build
def build(args) -> dict:
    from odoo import SUPERUSER_ID, api

    sizes = bench_data.Sizes(
        participants=args.participants,
        campaigns=args.campaigns,
        partners=args.partners,
        employees=args.employees,
    )
    registry = _open(args.conf, args.db)
    out: dict = {}
    with registry.cursor() as cr:
        env = api.Environment(cr, SUPERUSER_ID, dict(QUIET))
        started = time.monotonic()
        interface = env["ems.interface"].create(
            {
                "name": "Mailjet (bench)",
                "api_key": args.api_key,
                "api_secret": args.api_secret,
                "api_url": args.api_url,
            }
        )
        partner_ids = _insert_partners(env, bench_data.partners(sizes))
        out["partners_s"] = round(time.monotonic() - started, 1)
        employee_rows = bench_data.employees(sizes)
        employee_ids = (
            env["hr.employee"]
            .create(
                [
                    {"name": e.name, "work_email": e.work_email, "barcode": e.barcode or False}
                    for e in employee_rows
                ]
            )
            .ids
        )
        out["employees_s"] = round(time.monotonic() - started, 1)
        campaigns = env["utm.campaign"].create(
            [
                {"title": title, "mailjet_newsletter": True, "mailjet_interface_id": interface.id}
                for title in bench_data.campaign_titles(sizes)
            ]
        )
        env.flush_all()
        sample = _insert_participants(
            env, bench_data.iter_participants(sizes), campaigns, partner_ids, employee_ids
        )
        out["participants_s"] = round(time.monotonic() - started, 1)
        out["checked"] = _check_against_orm(env, sample, campaigns, partner_ids, employee_ids)
        cr.commit()
        cr.execute("ANALYZE")
        cr.execute(
            "SELECT count(*), count(*) FILTER (WHERE state = 'declined'),"
            " count(partner_id), count(employee_id) FROM ems_campaign_participant"
        )
        total, declined, from_partners, from_employees = cr.fetchone()
        out.update(
            interface_id=interface.id,
            campaign_ids=campaigns.ids,
            participants=total,
            declined=declined,
            from_partners=from_partners,
            from_employees=from_employees,
            bare=total - from_partners - from_employees,
            partners=env["res.partner"].search_count([("id", "in", partner_ids)]),
            employees=len(employee_ids),
            build_s=round(time.monotonic() - started, 1),
        )
    return out


def _participant_values(env, rows, campaigns, partner_ids, employee_ids):
    """Every stored column the ORM fills on create, computed as the ORM computes it."""
    from odoo.addons.ems_mailjet.services.emails import normalize_email

    env.cr.execute("SELECT id, email, name, ref FROM res_partner WHERE id = ANY(%s)", [partner_ids])
    partners = {r[0]: {"email": r[1], "name": r[2], "ref": r[3]} for r in env.cr.fetchall()}
    employees = {
        r["id"]: r
        for r in env["hr.employee"]
        .browse(employee_ids)
        .read(["work_email", "private_email", "name", "barcode"])
    }
    company_of = {c.id: c.company_id.id or None for c in campaigns}
    now = env.cr.now()
    for row in rows:
        campaign_id = campaigns[row.campaign].id
        partner_id = employee_id = None
        if row.kind == "partner":
            partner_id = partner_ids[row.index]
            p = partners[partner_id]
            email, name, number = p["email"], p["name"], p["ref"] or str(partner_id)
        elif row.kind == "employee":
            employee_id = employee_ids[row.index]
            e = employees[employee_id]
            email = e["work_email"] or e["private_email"]
            name, number = e["name"], e["barcode"] or str(employee_id)
        else:
            # the ORM names a bare address without a name after the address
            email, name, number = row.email, row.name or row.email.strip(), None
        declined_at = None
        if row.declined:
            declined_at = now.replace(microsecond=0) - timedelta(days=row.declined_days_ago)
        yield {
            "campaign_id": campaign_id,
            "company_id": company_of[campaign_id],
            "partner_id": partner_id,
            "employee_id": employee_id,
            "email": email,
            "email_normalized": normalize_email(email),
            "name": name or None,
            "number": number,
            "state": "declined" if row.declined else "accepted",
            "declined_at": declined_at,
        }


COLUMNS = (
    "campaign_id",
    "company_id",
    "partner_id",
    "employee_id",
    "email",
    "email_normalized",
    "name",
    "number",
    "state",
    "declined_at",
)
TYPES = (
    "int",
    "int",
    "int",
    "int",
    "varchar",
    "varchar",
    "varchar",
    "varchar",
    "varchar",
    "timestamp",
)


def _insert_participants(env, rows, campaigns, partner_ids, employee_ids, chunk=100_000):
    """INSERT ... SELECT unnest(...) per 100,000 participants (source 'erp', active);
    returns every 300th row or so, for ``_check_against_orm``."""
    sample, batch = [], []

    def flush():
        values = list(_participant_values(env, batch, campaigns, partner_ids, employee_ids))
        arrays = [[v[col] for v in values] for col in COLUMNS]
        unnest = ", ".join(f"%s::{t}[]" for t in TYPES)
        env.cr.execute(
            f"""INSERT INTO ems_campaign_participant
                     ({", ".join(COLUMNS)}, source, consent_source, active,
                      mailjet_sent_count, mailjet_open_count, mailjet_click_count,
                      mailjet_hard_bounce,
                      create_uid, write_uid, create_date, write_date)
                SELECT u.*, 'erp', 'erp', true, 0, 0, 0, false, %s, %s,
                       now() at time zone 'UTC', now() at time zone 'UTC'
                  FROM unnest({unnest}) AS u""",
            [env.uid, env.uid, *arrays],
        )
        batch.clear()

    for n, row in enumerate(rows):
        if n % 331 == 0 and len(sample) < 300:
            sample.append(row)
        batch.append(row)
        if len(batch) >= chunk:
            flush()
    if batch:
        flush()
    env.registry.clear_cache()
    env.invalidate_all()
    return sample


def _insert_partners(env, rows) -> list[int]:
    """Partners with one INSERT: every column copied from a partner the ORM created, the
    person's own ones (name, e-mail, reference) from the row; a sample of them is compared
    with partners the ORM creates from the same values (rolled back)."""
    from odoo.tools import email_normalize

    template = env["res.partner"].create({"name": "Bench template", "email": "t@example.com"})
    env.flush_all()
    own = (
        "id",
        "name",
        "email",
        "email_normalized",
        "ref",
        "complete_name",
        "commercial_partner_id",
        "create_date",
        "write_date",
    )
    env.cr.execute(
        "SELECT column_name FROM information_schema.columns"
        " WHERE table_name = 'res_partner' AND column_name <> ALL(%s)",
        [list(own)],
    )
    copied = [r[0] for r in env.cr.fetchall()]
    names = [r.name for r in rows]
    emails = [r.email for r in rows]
    normalized = [email_normalize(r.email, strict=False) for r in rows]
    refs = [r.ref for r in rows]
    env.cr.execute(
        f"""INSERT INTO res_partner (name, complete_name, email, email_normalized, ref,
                                     create_date, write_date, {", ".join(copied)})
            SELECT u.name, u.name, u.email, u.norm, u.ref,
                   now() at time zone 'UTC', now() at time zone 'UTC',
                   {", ".join("t." + c for c in copied)}
              FROM unnest(%s::varchar[], %s::varchar[], %s::varchar[], %s::varchar[])
                   WITH ORDINALITY AS u(name, email, norm, ref, n)
              JOIN res_partner t ON t.id = %s
             ORDER BY u.n
         RETURNING id""",
        [names, emails, normalized, refs, template.id],
    )
    ids = sorted(r[0] for r in env.cr.fetchall())
    env.cr.execute("UPDATE res_partner SET commercial_partner_id = id WHERE id = ANY(%s)", [ids])
    template.unlink()
    env.invalidate_all()
    skip = {"id", "commercial_partner_id", "create_date", "write_date"}
    with env.cr.savepoint(flush=False) as savepoint:
        for i in range(0, len(rows), max(1, len(rows) // 50)):
            row = rows[i]
            orm = env["res.partner"].create(
                {"name": row.name, "email": row.email, "ref": row.ref or False}
            )
            env.flush_all()
            env.cr.execute(
                "SELECT * FROM res_partner WHERE id IN %s ORDER BY id", [(orm.id, ids[i])]
            )
            names_ = [d[0] for d in env.cr.description]
            sql_row, orm_row = (dict(zip(names_, r, strict=True)) for r in env.cr.fetchall())
            diff = {
                k: (orm_row[k], sql_row[k])
                for k in names_
                if k not in skip and orm_row[k] != sql_row[k]
            }
            if diff or sql_row["commercial_partner_id"] != sql_row["id"]:
                raise SystemExit(f"bulk-inserted partner differs from the ORM's: {diff}")
        savepoint.rollback()
    env.invalidate_all()
    return ids


def _check_against_orm(env, rows, campaigns, partner_ids, employee_ids) -> int:
    """Create a sample through the ORM (in a scratch campaign, rolled back) and compare
    every column with the bulk-inserted row of the same person."""
    sample = [rows[i] for i in range(0, len(rows), max(1, len(rows) // 300))]
    values, seen = {}, set()
    for v in _participant_values(env, sample, campaigns, partner_ids, employee_ids):
        if v["email_normalized"] not in seen:  # one scratch campaign: distinct addresses
            seen.add(v["email_normalized"])
            values[(v["campaign_id"], v["email_normalized"])] = v
    skip = {"id", "campaign_id", "create_date", "write_date", "declined_at"}
    checked = 0
    with env.cr.savepoint(flush=False) as savepoint:
        scratch = env["utm.campaign"].create({"title": "bench scratch"})
        for (campaign_id, email_normalized), v in values.items():
            vals = {"campaign_id": scratch.id, "state": v["state"]}
            if v["partner_id"]:
                vals["partner_id"] = v["partner_id"]
            elif v["employee_id"]:
                vals["employee_id"] = v["employee_id"]
            else:
                vals["email"] = v["email"]
                if v["name"]:
                    vals["name"] = v["name"]
            orm = env["ems.campaign.participant"].create(vals)
            env.flush_all()
            env.cr.execute("SELECT * FROM ems_campaign_participant WHERE id = %s", [orm.id])
            names = [d[0] for d in env.cr.description]
            orm_row = dict(zip(names, env.cr.fetchone(), strict=True))
            env.cr.execute(
                "SELECT * FROM ems_campaign_participant"
                " WHERE campaign_id = %s AND email_normalized = %s",
                [campaign_id, email_normalized],
            )
            sql_row = dict(zip(names, env.cr.fetchone(), strict=True))
            diff = {
                k: (orm_row[k], sql_row[k])
                for k in names
                if k not in skip and orm_row[k] != sql_row[k]
            }
            if bool(orm_row["declined_at"]) != bool(sql_row["declined_at"]):
                diff["declined_at"] = (orm_row["declined_at"], sql_row["declined_at"])
            if diff:
                raise SystemExit(f"bulk-inserted participant differs from the ORM's: {diff}")
            checked += 1
        savepoint.rollback()
    env.invalidate_all()
    return checked


# ---------------------------------------------------------------------- delta
def erp_delta(args) -> dict:
    """The ERP half of a normal night, through the ORM as users and imports do it: new
    participants (0.5 % of all, as partners, employees and bare addresses), declines
    (0.2 %) and partners who changed their e-mail address (0.1 %)."""
    import random

    from odoo import SUPERUSER_ID, api

    rng = random.Random(args.seed)
    registry = _open(args.conf, args.db)
    with registry.cursor() as cr:
        env = api.Environment(cr, SUPERUSER_ID, {})
        started = time.monotonic()
        cr.execute(
            "SELECT id, mailjet_list_id FROM utm_campaign WHERE mailjet_newsletter ORDER BY id"
        )
        campaigns = cr.fetchall()
        cr.execute("SELECT count(*) FROM ems_campaign_participant")
        total = cr.fetchone()[0]
        n_new, n_decline, n_email = (max(1, round(total * f)) for f in (0.005, 0.002, 0.001))
        cr.execute("SELECT campaign_id, email_normalized FROM ems_campaign_participant")
        taken = set(cr.fetchall())
        cr.execute("SELECT id, email_normalized FROM res_partner WHERE email IS NOT NULL")
        partners = cr.fetchall()
        cr.execute("SELECT id, lower(work_email) FROM hr_employee WHERE work_email IS NOT NULL")
        employees = cr.fetchall()
        # partners whose address changes: ones that are participants somewhere
        cr.execute(
            "SELECT DISTINCT partner_id FROM ems_campaign_participant"
            " WHERE partner_id IS NOT NULL ORDER BY partner_id"
        )
        changing = rng.sample([r[0] for r in cr.fetchall()], n_email)
        new_vals, new_rows = [], []
        while len(new_vals) < n_new:
            campaign_id, list_id = rng.choice(campaigns)
            roll = rng.random()
            if roll < 0.30:
                pid, email = rng.choice(partners)
                vals = {"partner_id": pid}
            elif roll < 0.33:
                eid, email = rng.choice(employees)
                vals = {"employee_id": eid}
            else:
                email = f"new.{len(new_vals):06d}@leser.example.de"
                vals = {"email": email, "name": f"New reader {len(new_vals)}"}
            if (campaign_id, email) in taken or vals.get("partner_id") in changing:
                continue
            taken.add((campaign_id, email))
            new_vals.append(dict(vals, campaign_id=campaign_id))
            new_rows.append([int(list_id), email])
        cr.execute(
            """SELECT p.id, c.mailjet_list_id, p.email_normalized
                 FROM ems_campaign_participant p JOIN utm_campaign c ON c.id = p.campaign_id
                WHERE p.state = 'accepted' AND (p.partner_id IS NULL OR NOT p.partner_id = ANY(%s))
                ORDER BY p.id""",
            [changing],
        )
        declining = rng.sample(cr.fetchall(), n_decline)
        participants = env["ems.campaign.participant"]
        participants.create(new_vals)
        participants.browse([r[0] for r in declining]).write({"state": "declined"})
        changed = []
        for partner in env["res.partner"].browse(changing):
            old = partner.email
            new = f"neu.{partner.id}@kunden.example.de"
            partner.write({"email": new})
            changed.append([partner.id, old, new])
        env.flush_all()
        cr.commit()
        return {
            "erp_delta_s": round(time.monotonic() - started, 1),
            "new": new_rows,
            "declined": [[int(r[1]), r[2]] for r in declining],
            "partner_emails": changed,
        }


def verify(args) -> dict:
    """Row by row: every newsletter campaign's participants against its Mailjet list
    (``/_sandbox/state``): the same addresses, declined exactly where Mailjet has them
    unsubscribed, the excluded flag where Mailjet excludes the address, and what the
    night changed on either side arrived on the other."""
    import urllib.request

    from odoo import SUPERUSER_ID, api

    with open(args.expect, encoding="utf-8") as handle:
        expect = json.load(handle)
    excluded = set(expect.get("excluded", []))
    signups = {(int(a), b): kind for a, b, kind in expect.get("signups", [])}
    registry = _open(args.conf, args.db)
    problems: list[str] = []
    rows = 0
    with registry.cursor() as cr:
        api.Environment(cr, SUPERUSER_ID, {})
        cr.execute(
            "SELECT id, mailjet_list_id FROM utm_campaign WHERE mailjet_newsletter ORDER BY id"
        )
        for campaign_id, list_id in cr.fetchall():
            url = f"{args.api_url}_sandbox/state?list={list_id}"
            with urllib.request.urlopen(url, timeout=120) as answer:  # noqa: S310 - loopback
                state = json.load(answer)
            found = [x for x in state["lists"] if str(x["ID"]) == str(list_id)]
            if not found:
                problems.append(f"list {list_id} missing in Mailjet")
                continue
            mailjet = {m["Email"].lower(): m["IsUnsubscribed"] for m in found[0]["members"]}
            cr.execute(
                """SELECT email_normalized, state, mailjet_synced_state, mailjet_excluded,
                          source, partner_id, employee_id
                     FROM ems_campaign_participant WHERE campaign_id = %s""",
                [campaign_id],
            )
            erp = {r[0]: r[1:] for r in cr.fetchall()}
            rows += len(erp)
            for email in sorted(mailjet.keys() - erp.keys())[:5]:
                problems.append(f"list {list_id}: {email} in Mailjet, no participant")
            for email in sorted(erp.keys() - mailjet.keys())[:5]:
                problems.append(f"list {list_id}: participant {email} not in Mailjet")
            for email in sorted(erp.keys() & mailjet.keys()):
                state_, synced, is_excluded, source, partner_id, employee_id = erp[email]
                unsub = mailjet[email]
                if (state_ == "declined") != unsub:
                    problems.append(f"list {list_id}: {email} {state_} / unsubscribed={unsub}")
                if synced != state_:
                    problems.append(f"list {list_id}: {email} {state_}, synced state {synced}")
                if bool(is_excluded) != (email in excluded):
                    problems.append(f"list {list_id}: {email} excluded flag {is_excluded}")
                kind = signups.get((int(list_id), email))
                if kind and source != "mailjet":
                    problems.append(f"list {list_id}: signup {email} has source {source}")
                if kind == "partner" and not partner_id:
                    problems.append(f"list {list_id}: signup {email} not linked to its partner")
                if kind == "employee" and not employee_id:
                    problems.append(f"list {list_id}: signup {email} not linked to its employee")
        for list_id, email in expect.get("must_decline", []):
            cr.execute(
                """SELECT p.state FROM ems_campaign_participant p
                     JOIN utm_campaign c ON c.id = p.campaign_id
                    WHERE c.mailjet_list_id = %s AND p.email_normalized = %s""",
                [str(list_id), email],
            )
            got = cr.fetchone()
            if not got or got[0] != "declined":
                problems.append(f"list {list_id}: {email} should be declined, is {got}")
    return {"rows": rows, "problems": problems[:50], "problem_count": len(problems)}


# ---------------------------------------------------------------------- sync
def sync(args) -> dict:
    import odoo.sql_db
    from odoo import SUPERUSER_ID, api

    registry = _open(args.conf, args.db)
    with registry.cursor() as cr:
        env = api.Environment(cr, SUPERUSER_ID, {})
        interface = env["ems.interface"].search([("interface_type", "=", "mailjet")], limit=1)
        cr.execute("SELECT clock_timestamp() at time zone 'UTC'")
        mark = cr.fetchone()[0]
        cr.commit()
        rss_before = _current_rss_mb()
        queries_before = odoo.sql_db.sql_counter
        started = time.monotonic()
        profile_to = os.environ.get("BENCH_PROFILE")
        if profile_to:  # BENCH_PROFILE=/tmp/p: a cProfile of each sync in /tmp/p.<n>.prof
            import cProfile

            profiler = cProfile.Profile()
            profiler.enable()
        run = interface._run_sync(trigger="manual", auto_commit=True)
        wall = time.monotonic() - started
        if profile_to:
            profiler.disable()
            profiler.dump_stats(f"{profile_to}.{int(time.time())}.prof")
        queries = odoo.sql_db.sql_counter - queries_before
        peak = _rss_mb()
        cr.commit()
        summary = _summary(cr, mark)
        return {
            "wall_s": round(wall, 2),
            "peak_rss_mb": round(peak, 1),
            "rss_before_sync_mb": round(rss_before, 1),
            "sql_queries": queries,
            "state": run.state,
            **_run_counts(run),
            **summary,
        }


def _run_counts(run) -> dict:
    """What a sync run (``ems.mailjet.sync.run``) counted, as the bench reports it."""
    return {
        "api_calls_engine": run.api_calls,
        "lists_total": run.lists_total,
        "lists_done": run.lists_done,
        "pushed": run.pushed,
        "unsubscribed_in_mailjet": run.unsubscribed_in_mailjet,
        "declined_from_mailjet": run.declined_from_mailjet,
        "new_signups": run.new_signups,
        "errors": run.errors,
        "log": run.log or "",
    }


def _summary(cr, mark) -> dict:
    """Rows written since ``mark``, participants out of sync, and each list's counts."""
    written = {}
    for table in ("ems_campaign_participant", "res_partner", "hr_employee", "utm_campaign"):
        cr.execute(f"SELECT count(*) FROM {table} WHERE write_date >= %s", [mark])
        written[table] = cr.fetchone()[0]
    cr.execute(
        """SELECT count(*),
                  count(*) FILTER (WHERE mailjet_synced_state IS NULL),
                  count(*) FILTER (WHERE mailjet_synced_state IS DISTINCT FROM state)
             FROM ems_campaign_participant"""
    )
    total, never_synced, out_of_sync = cr.fetchone()
    cr.execute(
        """SELECT c.mailjet_list_id, count(p.id),
                  count(p.id) FILTER (WHERE p.state = 'declined'),
                  c.mailjet_count_total, c.mailjet_count_unsubscribed
             FROM utm_campaign c JOIN ems_campaign_participant p ON p.campaign_id = c.id
            WHERE c.mailjet_newsletter GROUP BY c.id ORDER BY c.id"""
    )
    lists = [
        {
            "list_id": int(r[0] or 0),
            "participants": r[1],
            "declined": r[2],
            "counted_total": r[3],
            "counted_unsubscribed": r[4],
        }
        for r in cr.fetchall()
    ]
    return {
        "written": written,
        "participants": total,
        "never_synced": never_synced,
        "out_of_sync": out_of_sync,
        "lists": lists,
    }


# ---------------------------------------------------------------------- two workers
def workers_prepare(args) -> dict:
    """N parallel sync workers and a window open now (24 h from this UTC hour)."""
    from odoo import SUPERUSER_ID, api

    registry = _open(args.conf, args.db)
    with registry.cursor() as cr:
        env = api.Environment(cr, SUPERUSER_ID, QUIET)
        interface = env["ems.interface"].search([("interface_type", "=", "mailjet")], limit=1)
        cr.execute("SELECT clock_timestamp() at time zone 'UTC'")
        mark = cr.fetchone()[0]
        interface.write(
            {
                "sync_workers": args.workers,
                "tz": "UTC",
                "sync_window_start": float(time.gmtime().tm_hour),
                "sync_window_minutes": 1440,
                "sync_requested": False,
            }
        )
        crons = env["ems.interface"]._worker_crons()
        return {"mark": str(mark), "crons": sorted(n for n, c in crons.items() if c.active)}


def worker(args) -> dict:
    """One cron worker: the scheduled action's code, ``_cron_sync(worker=K)``, started at
    ``--start-at`` (so that every worker process has loaded Odoo first)."""
    import odoo.sql_db
    from odoo import SUPERUSER_ID, api

    registry = _open(args.conf, args.db)
    with registry.cursor() as cr:
        env = api.Environment(cr, SUPERUSER_ID, {})
        rss_before = _current_rss_mb()
        time.sleep(max(0.0, args.start_at - time.time()))
        queries_before = odoo.sql_db.sql_counter
        started_epoch = time.time()
        started = time.monotonic()
        env["ems.interface"]._cron_sync(worker=args.worker)
        wall = time.monotonic() - started
        ended_epoch = time.time()
        cr.commit()
        runs = env["ems.mailjet.sync.run"].search([("worker", "=", args.worker)], order="id")
        run = runs[-1:]
        return {
            "worker": args.worker,
            "wall_s": round(wall, 2),
            "started_epoch": started_epoch,
            "ended_epoch": ended_epoch,
            "peak_rss_mb": round(_rss_mb(), 1),
            "rss_before_sync_mb": round(rss_before, 1),
            "sql_queries": odoo.sql_db.sql_counter - queries_before,
            "run_id": run.id,
            "state": run.state or "none",
            "lists_elsewhere": run.lists_elsewhere,
            "campaign_ids": run.campaign_ids.ids,
            **_run_counts(run),
        }


def workers_check(args) -> dict:
    """Per newsletter list, how many nightly runs synchronised it; plus ``_summary``."""
    from odoo import SUPERUSER_ID, api

    registry = _open(args.conf, args.db)
    with registry.cursor() as cr:
        env = api.Environment(cr, SUPERUSER_ID, {})
        cr.execute(
            """SELECT c.id, count(r.id)
                 FROM utm_campaign c
                 LEFT JOIN ems_mailjet_sync_run_campaign_rel rel ON rel.campaign_id = c.id
                 LEFT JOIN ems_mailjet_sync_run r ON r.id = rel.run_id AND r.trigger = 'cron'
                WHERE c.mailjet_newsletter GROUP BY c.id ORDER BY c.id"""
        )
        per_list = dict(cr.fetchall())
        cr.execute(
            """SELECT count(*) FROM utm_campaign
                WHERE mailjet_newsletter AND mailjet_last_sync_at >= %s""",
            [args.since],
        )
        stamped = cr.fetchone()[0]
        runs = env["ems.mailjet.sync.run"].search_count([("trigger", "=", "cron")])
        return {
            "runs": runs,
            "runs_per_list": {str(k): v for k, v in per_list.items()},
            "stamped_since": stamped,
            **_summary(cr, args.since),
        }


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "step",
        choices=("build", "sync", "delta", "verify", "workers-prepare", "worker", "workers-check"),
    )
    parser.add_argument("--conf", required=True)
    parser.add_argument("--db", required=True)
    parser.add_argument("--out", required=True)
    parser.add_argument("--api-url")
    parser.add_argument("--api-key")
    parser.add_argument("--api-secret")
    parser.add_argument("--participants", type=int, default=100_000)
    parser.add_argument("--campaigns", type=int, default=20)
    parser.add_argument("--partners", type=int, default=10_000)
    parser.add_argument("--employees", type=int, default=1_000)
    parser.add_argument("--seed", type=int, default=20261128)
    parser.add_argument("--expect", help="verify: JSON of what the night changed")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--worker", type=int, default=1)
    parser.add_argument("--start-at", type=float, default=0.0)
    parser.add_argument("--since", help="workers-check: when the workers started (UTC)")
    args = parser.parse_args(argv)
    steps = {
        "build": build,
        "sync": sync,
        "delta": erp_delta,
        "verify": verify,
        "workers-prepare": workers_prepare,
        "worker": worker,
        "workers-check": workers_check,
    }
    result = steps[args.step](args)
    with open(args.out, "w", encoding="utf-8") as handle:
        json.dump(result, handle, default=str)
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Fault matrix (D7): every way Mailjet, the network or the ERP can fail during a sync.

Every row starts from the same two newsletter campaigns, synced once:

* "Spring newsletter": accepted participants from a partner, an employee and a bare
  address, one declined participant and ``optout@example.org``, which then unsubscribes
  in Mailjet; afterwards a new accepted and a new declined participant are entered in
  the ERP and somebody signs up through the Mailjet widget;
* "Second list": two accepted addresses, then one more.

A row injects its fault (through the sandbox's fault injection, a held lock, a moved
clock…) and runs the sync. Then, for every row:

* no participant is lost or duplicated (every address of the ERP is still there, once;
  the only newcomer allowed is the widget signup);
* no unsubscribe is overwritten: whatever was unsubscribed in Mailjet is still
  unsubscribed there, whatever was declined in the ERP is still declined;
* the run log says what happened (state, readable text, error count);
* after the fault is cleared, the next run completes the work: every participant is in
  its Mailjet list with the right subscription state and marked synced, run ``done``.

The SIGKILL row needs a real Odoo process and committed data; it has its own test
(``test_fault_sigkill_mid_run``) but makes the same checks.

Limits the rows document rather than test away: a list deleted in Mailjet may take its
unsubscribes with it, so the "remote list deleted" row lets the ERP read them first (an
unsubscribe made in a hard-deleted list after the last run cannot be recovered). The
sandbox's ``/revoke`` lasts until a reset, so a revocation mid-run is a 401
answer to every call (same status and body) that "the admin's new key" clears. Odoo's
test framework raises HTTP timeouts under 10 s to 10 s; this class keeps the gateway's
timeout for calls to the sandbox, so the timeout row costs about a second.
"""

import json
import os
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any
from unittest.mock import patch

import mailjet_rest

import odoo
from odoo import SUPERUSER_ID, api, fields
from odoo.tests import common as odoo_test_common
from odoo.tests import tagged
from odoo.tools import mute_logger

from .common_sandbox import FAST, KEY, MailjetSandboxCase

# Everything that reports Mailjet trouble (mailjet-rest logs a timeout as an ERROR itself).
MUTED = (
    "odoo.addons.ems_mailjet.services.gateway",
    "odoo.addons.ems_mailjet.services.sync",
    "odoo.addons.ems_mailjet.models.utm_campaign",
    "odoo.addons.ems_mailjet.models.ems_interface",
    "odoo.addons.ems_mailjet.models.ems_mailjet_sync_run",
    "mailjet_rest.client",
)
_LOCK_CLASS = 0x454D534D

ACCEPTED_FINAL = {
    "erika@example.com",
    "max.muster@example.com",
    "reader@example.org",
    "new.reader@example.net",
    "widget@example.net",
}
DECLINED_FINAL = {"gone@example.org", "optout@example.org", "new.gone@example.net"}
SECOND_FINAL = {"second.a@example.com", "second.b@example.com", "second.new@example.com"}


@dataclass(frozen=True)
class FaultRow:
    """One row of the matrix: what is injected and what the run must say about it."""

    name: str
    what: str
    inject: Any  # callable(case) -> context manager active during the faulted run
    states: tuple  # acceptable states of the faulted run
    log: tuple = ()  # fragments the faulted run's log must contain
    errors: bool = True  # the faulted run counts errors
    lists_done: int | None = None
    no_calls: bool = False  # the faulted run must not call Mailjet at all
    run: Any = None  # callable(case) -> run; default ``case.sync()``
    prepare: Any = None  # callable(case), after the common start, before the fault
    extra: Any = None  # callable(case, run): further checks on the faulted run
    gateway: dict = field(default_factory=dict)  # gateway options for the faulted run


# ------------------------------------------------------------------ injections
@contextmanager
def _faults(case, *specs):
    for spec in specs:
        case.sandbox.fault(**spec)
    yield


def _sandbox_fault(*specs):
    return lambda case: _faults(case, *specs)


@contextmanager
def _nothing(_case):
    yield


@contextmanager
def _lock_held_elsewhere(case):
    """Another run of the same interface holds the advisory lock (another connection)."""
    with odoo.sql_db.db_connect(case.env.cr.dbname).cursor() as other:
        other.execute("SELECT pg_advisory_lock(%s, %s)", (_LOCK_CLASS, case.interface.id))
        try:
            yield
        finally:
            other.execute("SELECT pg_advisory_unlock(%s, %s)", (_LOCK_CLASS, case.interface.id))


@contextmanager
def _after_first_list(case, action):
    """Run ``action(stack)`` once the first list of the run is finished (a run finishes
    its first list before it starts the next)."""
    campaign_class = type(case.env["utm.campaign"])
    original = campaign_class._mailjet_sync_finish
    done = []
    with ExitStack() as stack:

        def finish_campaign(self, *args):
            original(self, *args)
            if not done:
                done.append(self)
                action(stack)

        stack.enter_context(patch.object(campaign_class, "_mailjet_sync_finish", finish_campaign))
        yield done


def _revoke_after_first_list(case):
    # The sandbox's own /revoke lasts until a reset (which would wipe the lists), so the
    # revocation is a 401 answer to every call from then on: the same status and body.
    return _after_first_list(case, lambda _stack: case.sandbox.fault(status=401, count=10000))


def _window_ends_after_first_list(case):
    later = fields.Datetime.now() + timedelta(hours=2)

    def move_clock(stack):
        stack.enter_context(patch.object(fields.Datetime, "now", lambda *_a, **_k: later))

    return _after_first_list(case, move_clock)


def _run_with_deadline(case):
    run = case.interface._run_sync(
        trigger="cron", deadline=fields.Datetime.now() + timedelta(hours=1)
    )
    case.env.invalidate_all()
    return run


def _stale_statistics(case):
    case.campaign.mailjet_stats_at = False


def _sync_then_delete_the_list(case):
    # The ERP reads the pending unsubscribe first: deleting a list in Mailjet also
    # deletes Mailjet's record of who unsubscribed from it (see the module docstring).
    case.assertEqual(case.sync().state, "done")
    old = int(case.campaign.mailjet_list_id)
    client = mailjet_rest.Client(auth=(KEY, case.SECRET), api_url=case.sandbox.url, timeout=5)
    response = client.contactslist.delete(id=old)
    case.assertEqual(response.status_code, 204)
    case.deleted_list_id = old


def _list_recreated(case, run):
    case.assertTrue(case.campaign.mailjet_list_deleted)
    case.assertEqual(int(case.campaign.mailjet_list_id), case.deleted_list_id, "kept")
    case.campaign.action_mailjet_new_list()
    case.assertNotEqual(int(case.campaign.mailjet_list_id), case.deleted_list_id)


def _refused_address_shown_and_tried_again(case, run):
    """The participant says why; the address is not sent again by itself, only when the
    user clicks "Try again"."""
    refused = case.campaign.participant_ids.filtered(
        lambda p: p.email_normalized == "new.reader@example.net"
    )
    case.assertIn("Contact could not be imported", refused.mailjet_error)
    others = case.campaign.participant_ids - refused
    case.assertFalse(any(others.mapped("mailjet_error")))
    case.sandbox.control("DELETE", "faults")
    again = case.sync()
    case.assertEqual((again.state, again.errors), ("done", 0), again.log)
    case.env.invalidate_all()
    case.assertFalse(refused.mailjet_synced_state, "not sent again without a reason")
    refused.action_mailjet_try_again()
    case.assertFalse(refused.mailjet_error)


def _skipped_run_touches_nothing(case, run):
    case.assertFalse(run.lists_done)
    by_email = {p.email_normalized: p for p in case.campaign.participant_ids}
    for email in ("new.reader@example.net", "new.gone@example.net"):
        case.assertFalse(by_email[email].mailjet_synced_state, email)
    case.assertEqual(by_email["optout@example.org"].state, "accepted", "not read yet")
    case.assertNotIn("widget@example.net", by_email)


def _retries_counted(case, run):
    faulted = [c for c in case.sandbox.calls()["calls"] if c["status"] == 429]
    case.assertEqual(len(faulted), 2)
    case.assertEqual(run.api_calls, case.sandbox.calls()["total"] - case.calls_before)


def _first_list_kept(case, run):
    case.assertEqual(run.lists_done, 1)
    spring = case.campaign.participant_ids
    case.assertEqual(
        {p.email_normalized for p in spring if p.mailjet_synced_state != p.state},
        set(),
        "the first list finished before the fault and keeps what it did",
    )
    case.assertFalse(
        case.second.participant_ids.filtered(
            lambda p: p.email_normalized == "second.new@example.com"
        ).mailjet_synced_state
    )


def _applied_in_mailjet_not_confirmed(case, run):
    members = case.mailjet_list()
    case.assertTrue(
        members["new.gone@example.net"]["IsUnsubscribed"],
        "Mailjet applied the job before its state could be read",
    )
    new_gone = case.campaign.participant_ids.filtered(
        lambda p: p.email_normalized == "new.gone@example.net"
    )
    case.assertFalse(new_gone.mailjet_synced_state, "…but the ERP does not claim it")


def _statistics_noted(case, run):
    case.assertFalse(case.campaign.mailjet_stats_at)


def _one_job_per_retry(case, run):
    posts = [
        c
        for c in case.sandbox.calls()["calls"]
        if c["method"] == "POST" and "managemanycontacts" in c["path"]
    ]
    case.assertGreaterEqual(len(posts), 3, "the lost answer was retried")


ROWS = (
    FaultRow(
        "429_burst_absorbed_by_retries",
        "Two 429 answers in a row: the gateway's backoff absorbs them, the run is done "
        "and its call count includes the refused calls.",
        _sandbox_fault({"kind": "status", "status": 429, "count": 2}),
        states=("done",),
        errors=False,
        extra=_retries_counted,
    ),
    FaultRow(
        "429_burst_longer_than_the_retries",
        "Every bulk push answers 429: the pull is applied, the pushes wait for next time.",
        _sandbox_fault(
            {"kind": "status", "status": 429, "path": "managemanycontacts", "count": 10000}
        ),
        states=("partial",),
        log=("Spring newsletter:", "rate limit, HTTP 429"),
    ),
    FaultRow(
        "500_while_reading_the_list",
        "Mailjet answers 500 to every listrecipient read: the list is not touched.",
        _sandbox_fault({"kind": "status", "status": 500, "path": "listrecipient", "count": 10000}),
        states=("partial",),
        log=("HTTP 500", "after 3 attempts"),
    ),
    FaultRow(
        "503_on_the_list_of_lists",
        "Mailjet answers 503 to the list of lists: the run fails before any list.",
        _sandbox_fault(
            {
                "kind": "status",
                "status": 503,
                "method": "GET",
                "path": "/contactslist",
                "count": 10000,
            }
        ),
        states=("failed",),
        lists_done=0,
        log=("could not be reached or did not answer", "HTTP 503"),
    ),
    FaultRow(
        "500_while_polling_a_job",
        "The bulk job is accepted (and applied) but its state cannot be read: nothing is "
        "marked synced that Mailjet did not confirm; the next run reads it back.",
        _sandbox_fault(
            {
                "kind": "status",
                "status": 500,
                "method": "GET",
                "path": "managemanycontacts",
                "count": 10000,
            }
        ),
        states=("partial",),
        log=("HTTP 500", "the state of job"),
        extra=_applied_in_mailjet_not_confirmed,
    ),
    FaultRow(
        "timeout_on_every_attempt",
        "Mailjet answers the signups read after the client's timeout, three times.",
        _sandbox_fault({"kind": "delay", "seconds": 1.0, "path": "contactslistsignup", "count": 3}),
        states=("partial",),
        log=("the signups of", "timeout"),
        gateway={"timeout": (2.0, 0.3)},
    ),
    FaultRow(
        "dropped_connections",
        "Every bulk push loses its connection before Mailjet answers.",
        _sandbox_fault(
            {"kind": "drop", "path": "managemanycontacts", "method": "POST", "count": 10000}
        ),
        states=("partial",),
        log=("connection failed",),
    ),
    FaultRow(
        "dropped_answer_after_mailjet_applied_the_push",
        "Mailjet applies a push but the answer is lost: the retry sends it again, which "
        "changes nothing (addnoforce/unsub are idempotent).",
        _sandbox_fault(
            {
                "kind": "drop",
                "path": "managemanycontacts",
                "method": "POST",
                "apply": True,
                "count": 1,
            }
        ),
        states=("done",),
        errors=False,
        extra=_one_job_per_retry,
    ),
    FaultRow(
        "bulk_job_ends_in_error",
        "Every bulk job ends in Status Error: its contacts are sent again next run.",
        _sandbox_fault({"kind": "job_error", "count": 10000}),
        states=("partial",),
        log=("failed:", "will be sent again on the next run"),
    ),
    FaultRow(
        "bulk_job_with_per_contact_errors",
        "Mailjet refuses one contact of the push: it is reported, the others go through.",
        _sandbox_fault(
            {"kind": "contact_errors", "emails": ["new.reader@example.net"], "count": 10000}
        ),
        states=("partial",),
        log=("new.reader@example.net: Contact could not be imported",),
        extra=_refused_address_shown_and_tried_again,
    ),
    FaultRow(
        "two_runs_at_once",
        "Another run of the interface holds the lock: this one is skipped, calls nothing.",
        _lock_held_elsewhere,
        states=("skipped",),
        errors=False,
        no_calls=True,
        log=("Another synchronisation of this interface is running.",),
        extra=_skipped_run_touches_nothing,
    ),
    FaultRow(
        "window_ends_mid_run",
        "The nightly window ends after the first list: the second waits for next time.",
        _window_ends_after_first_list,
        states=("partial",),
        errors=False,
        lists_done=1,
        log=("The sync window ended; 1 list(s) continue next time.",),
        run=_run_with_deadline,
        extra=_first_list_kept,
    ),
    FaultRow(
        "credentials_revoked_mid_run",
        "The API key is revoked after the first list: the run stops with a clear message.",
        _revoke_after_first_list,
        states=("failed",),
        lists_done=1,
        log=("Mailjet rejected the API key or the API password (HTTP 401)",),
        extra=_first_list_kept,
    ),
    FaultRow(
        "remote_list_deleted",
        "Somebody deleted the list in Mailjet: the run says so and creates nothing; the "
        "user starts a new list, which gets everybody, the declined participants "
        "unsubscribed.",
        _nothing,
        prepare=_sync_then_delete_the_list,
        states=("partial",),
        log=("was deleted in Mailjet",),
        extra=_list_recreated,
    ),
    FaultRow(
        "statistics_unavailable",
        "Only the statistics read fails: the lists are synced, the log says why the "
        "statistics are old.",
        _sandbox_fault({"kind": "status", "status": 503, "path": "statcounters", "count": 10000}),
        states=("done",),
        errors=False,
        prepare=_stale_statistics,
        log=("could not be reached or did not answer",),
        extra=_statistics_noted,
    ),
)


@tagged("post_install", "-at_install", "ems_mailjet", "ems_mailjet_slow")
class TestFaultMatrix(MailjetSandboxCase):
    """See the module docstring; one test per row of ``ROWS`` plus the SIGKILL row."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.second = cls.newsletter("Second list")
        cls.gateway_options = dict(FAST)
        interface_class = type(cls.env["ems.interface"])
        cls.startClassPatcher(
            patch.object(interface_class, "_gateway_options", lambda self: cls.gateway_options)
        )

    @classmethod
    def _request_handler(cls, s, r, /, **kw):
        """Odoo's test framework raises every HTTP timeout below 10 s to 10 s; calls to
        the sandbox keep the timeout the gateway gave, so the timeout row stays fast."""
        sandbox = getattr(cls, "sandbox", None)
        if sandbox and sandbox.url and r.url.startswith(sandbox.url):
            return odoo_test_common._super_send(s, r, **kw)
        return super()._request_handler(s, r, **kw)

    # ------------------------------------------------------------------ the common start
    def start(self):
        """Both campaigns synced once, then changes on both sides waiting for the run."""
        self.participant(partner_id=self.partner.id)
        self.participant(employee_id=self.employee.id)
        self.participant(email="Reader@Example.org")
        self.participant(email="gone@example.org", state="declined")
        self.participant(email="optout@example.org")
        self.participant(campaign=self.second, email="second.a@example.com")
        self.participant(campaign=self.second, email="second.b@example.com")
        first = self.sync()
        self.assertEqual((first.state, first.lists_done), ("done", 2))
        list_id = int(self.campaign.mailjet_list_id)
        self.sandbox.unsubscribe(list_id, "optout@example.org")
        self.sandbox.signup(list_id, "widget@example.net", "Widget Reader")
        self.participant(email="new.reader@example.net")
        self.participant(email="new.gone@example.net", state="declined")
        self.participant(campaign=self.second, email="second.new@example.com")
        self.env.invalidate_all()

    def snapshot(self):
        """What must survive any fault: ERP participants and Mailjet's unsubscribes."""
        participants = self.env["ems.campaign.participant"].with_context(active_test=False)
        people = participants.search([("campaign_id", "in", (self.campaign | self.second).ids)])
        unsubscribed = set()
        for campaign in (self.campaign, self.second):
            for email, member in (self.mailjet_list(campaign) or {}).items():
                if member["IsUnsubscribed"]:
                    unsubscribed.add((campaign.id, email))
        return {
            "people": {(p.campaign_id.id, p.email_normalized) for p in people},
            "declined": {
                (p.campaign_id.id, p.email_normalized) for p in people if p.state == "declined"
            },
            "unsubscribed": unsubscribed,
        }

    # ------------------------------------------------------------------ checks
    def assert_nothing_lost(self, before):
        participants = self.env["ems.campaign.participant"].with_context(active_test=False)
        people = participants.search([("campaign_id", "in", (self.campaign | self.second).ids)])
        keys = [(p.campaign_id.id, p.email_normalized) for p in people]
        self.assertEqual(len(keys), len(set(keys)), "no participant is duplicated")
        self.assertLessEqual(before["people"], set(keys), "no participant is lost")
        newcomers = set(keys) - before["people"]
        self.assertLessEqual(newcomers, {(self.campaign.id, "widget@example.net")})
        declined = {(p.campaign_id.id, p.email_normalized) for p in people if p.state == "declined"}
        self.assertLessEqual(before["declined"], declined, "a decline stays a decline")
        for campaign_id, email in before["unsubscribed"]:
            campaign = self.env["utm.campaign"].browse(campaign_id)
            member = (self.mailjet_list(campaign) or {}).get(email)
            if member is not None:  # only a deleted list forgets its members
                self.assertTrue(member["IsUnsubscribed"], f"{email} stays unsubscribed")
        optout = people.filtered(lambda p: p.email_normalized == "optout@example.org")
        if optout.state != "declined":
            self.assertEqual(
                optout.mailjet_synced_state,
                "accepted",
                "optout is only accepted while the run has not read it yet",
            )

    def assert_completed(self, run):
        self.assertEqual(run.state, "done", run.log)
        self.assertEqual((run.errors, run.lists_done, run.lists_total), (0, 2, 2), run.log)
        for campaign, accepted, declined in (
            (self.campaign, ACCEPTED_FINAL, DECLINED_FINAL),
            (self.second, SECOND_FINAL, set()),
        ):
            people = campaign.with_context(active_test=False).participant_ids
            by_email = {p.email_normalized: p for p in people}
            self.assertEqual(set(by_email), accepted | declined)
            for email, person in by_email.items():
                wanted = "declined" if email in declined else "accepted"
                self.assertEqual(person.state, wanted, email)
                self.assertEqual(person.mailjet_synced_state, wanted, email)
            members = self.mailjet_list(campaign)
            self.assertEqual(set(members), accepted | declined)
            for email, member in members.items():
                self.assertEqual(member["IsUnsubscribed"], email in declined, email)
        self.assertEqual(self.interface.state, "connected")

    # ------------------------------------------------------------------ one row
    def check_row(self, row):
        self.start()
        if row.prepare:
            row.prepare(self)
            self.env.invalidate_all()
        before = self.snapshot()
        self.calls_before = self.sandbox.calls()["total"]
        self.gateway_options.update(row.gateway)
        try:
            with ExitStack() as stack:
                stack.enter_context(mute_logger(*MUTED))
                stack.enter_context(row.inject(self))
                run = row.run(self) if row.run else self.sync()
        finally:
            self.gateway_options.clear()
            self.gateway_options.update(FAST)
        self.env.invalidate_all()

        self.assert_nothing_lost(before)
        self.assertIn(run.state, row.states, run.log)
        self.assertTrue(run.ended_at, "the run is closed")
        self.assertEqual(bool(run.errors), row.errors, run.log)
        for fragment in row.log:
            self.assertIn(fragment, run.log or "")
        if row.lists_done is not None:
            self.assertEqual(run.lists_done, row.lists_done, run.log)
        if row.no_calls:
            self.assertEqual(self.sandbox.calls()["total"], self.calls_before)
        if run.state == "failed":
            self.assertEqual(self.interface.state, "error")
            self.assertTrue(self.interface.last_error)
        if row.extra:
            row.extra(self, run)

        self.sandbox.control("DELETE", "faults")
        self.assert_completed(self.sync())

    # ------------------------------------------------------------------ SIGKILL
    def test_fault_sigkill_mid_run(self):
        """The Odoo process running the sync is killed (SIGKILL) after the first list was
        committed and right after Mailjet applied a push of the second list, before the
        ERP could record it. Nothing is lost or duplicated, the killed run does not stay
        "running" for ever, and the next run finishes the work.

        A real Odoo process needs committed data, so this row creates its own interface,
        campaigns, partner and employee in committed transactions and deletes them again.
        """
        tag = uuid.uuid4().hex[:8]
        ids = {}
        try:
            ids = self._sigkill_setup(tag)
            self._sigkill_kill(ids)
            self._sigkill_check_after_kill(ids)
            self._sigkill_recover(ids)
        finally:
            if ids:
                self._sigkill_cleanup(ids)

    def committed_env(self):
        """A transaction of its own (committed on exit), seen by other processes."""
        return _committed_env(self.registry)

    def _sigkill_setup(self, tag):
        ids = {"tag": tag}
        quiet = {
            "tracking_disable": True,
            "mail_create_nolog": True,
            "mail_create_nosubscribe": True,
            "mail_notrack": True,
        }
        with self.committed_env() as env:
            env = env(context=quiet)
            partner = env["res.partner"].create(
                {"name": f"Kill Partner {tag}", "email": f"kill.partner.{tag}@example.com"}
            )
            employee = env["hr.employee"].create(
                {"name": f"Kill Employee {tag}", "work_email": f"kill.employee.{tag}@example.com"}
            )
            # Without credentials at create: no queued sync (R2) for a cron to pick up.
            interface = env["ems.interface"].create(
                {"name": f"Kill test {tag}", "api_url": self.sandbox.url}
            )
            env.cr.execute(
                "UPDATE ems_interface SET api_key = %s, api_secret = %s WHERE id = %s",
                (KEY, self.SECRET, interface.id),
            )
            interface.invalidate_recordset()
            one, two = env["utm.campaign"].create(
                [
                    {
                        "title": f"Kill one {tag}",
                        "mailjet_newsletter": True,
                        "mailjet_interface_id": interface.id,
                    },
                    {
                        "title": f"Kill two {tag}",
                        "mailjet_newsletter": True,
                        "mailjet_interface_id": interface.id,
                    },
                ]
            )
            people = env["ems.campaign.participant"]
            people.create(
                [
                    {"campaign_id": one.id, "partner_id": partner.id},
                    {"campaign_id": one.id, "employee_id": employee.id},
                    {"campaign_id": one.id, "email": f"bare.{tag}@example.org"},
                    {
                        "campaign_id": one.id,
                        "email": f"declined.{tag}@example.org",
                        "state": "declined",
                    },
                    {"campaign_id": one.id, "email": f"optout.{tag}@example.org"},
                    {"campaign_id": two.id, "email": f"two.a.{tag}@example.org"},
                    {"campaign_id": two.id, "email": f"two.b.{tag}@example.org"},
                ]
            )
            ids.update(
                partner=partner.id,
                employee=employee.id,
                work_contact=employee.work_contact_id.id,
                interface=interface.id,
                one=one.id,
                two=two.id,
            )
        with self.committed_env() as env:
            run = env["ems.interface"].browse(ids["interface"])._run_sync()
            self.assertEqual((run.state, run.lists_done), ("done", 2), run.log)
            campaigns = env["utm.campaign"].browse([ids["one"], ids["two"]])
            ids["list_one"], ids["list_two"] = (int(c.mailjet_list_id) for c in campaigns)
            ids["first_run"] = run.id
        self.sandbox.unsubscribe(ids["list_one"], f"optout.{tag}@example.org")
        self.sandbox.signup(ids["list_one"], f"widget.{tag}@example.net")
        with self.committed_env() as env:
            env["ems.campaign.participant"].create(
                [
                    {"campaign_id": ids["one"], "email": f"new.{tag}@example.net"},
                    {
                        "campaign_id": ids["one"],
                        "email": f"new.declined.{tag}@example.net",
                        "state": "declined",
                    },
                    {"campaign_id": ids["two"], "email": f"two.new.{tag}@example.org"},
                    {
                        "campaign_id": ids["two"],
                        "email": f"two.declined.{tag}@example.org",
                        "state": "declined",
                    },
                ]
            )
        return ids

    def _sigkill_kill(self, ids):
        """Start the run in another Odoo process; SIGKILL it once Mailjet answered the
        first push of the second list (whose job poll the sandbox then holds for 8 s)."""
        pushes = f"contactslist/{ids['list_two']}/managemanycontacts"
        self.sandbox.fault(kind="delay", seconds=8, method="GET", path=pushes, count=1)
        self.calls_before = self.sandbox.calls()["total"]
        conf = odoo.tools.config
        argv = [
            "--addons-path",
            conf["addons_path"],
            "--data-dir",
            conf["data_dir"],
            "-d",
            self.env.cr.dbname,
            "--log-level",
            "warn",
        ]
        for option, key in (
            ("--db_host", "db_host"),
            ("--db_port", "db_port"),
            ("--db_user", "db_user"),
            ("--db_password", "db_password"),
        ):
            if conf[key]:
                argv += [option, str(conf[key])]
        odoo_root = os.path.dirname(os.path.dirname(os.path.abspath(odoo.__file__)))
        env = dict(
            os.environ,
            PYTHONPATH=os.pathsep.join(filter(None, [odoo_root, os.environ.get("PYTHONPATH")])),
        )
        payload = json.dumps(
            {"argv": argv, "db": self.env.cr.dbname, "interface": ids["interface"]}
        )
        with tempfile.TemporaryFile("w+") as output:
            process = subprocess.Popen(
                [sys.executable, "-c", _SIGKILL_SCRIPT, payload],
                stdout=output,
                stderr=subprocess.STDOUT,
                env=env,
            )
            try:
                deadline = time.monotonic() + 60
                while not self._pushed_to(pushes, "POST"):
                    if process.poll() is not None or time.monotonic() > deadline:
                        output.seek(0)
                        self.fail(
                            f"the run ended or hung before the kill point:\n{output.read()[-3000:]}"
                        )
                    time.sleep(0.02)
                os.kill(process.pid, signal.SIGKILL)
                self.assertEqual(process.wait(timeout=30), -signal.SIGKILL)
            finally:
                if process.poll() is None:
                    process.kill()
                    process.wait(timeout=30)

    def _pushed_to(self, path, method):
        return any(
            c["method"] == method and path in c["path"] and c["status"]
            for c in self.sandbox.calls()["calls"][self.calls_before :]
        )

    def _sigkill_check_after_kill(self, ids):
        tag = ids["tag"]
        with self.committed_env() as env:
            runs = env["ems.mailjet.sync.run"].search(
                [("interface_id", "=", ids["interface"]), ("id", ">", ids["first_run"])]
            )
            self.assertEqual(len(runs), 1)
            self.assertEqual(
                (runs.state, runs.lists_done),
                ("running", 1),
                "the killed run committed its first list, then died",
            )
            ids["killed_run"] = runs.id
            one, two = (env["utm.campaign"].browse(ids[k]) for k in ("one", "two"))
            one_people = one.with_context(active_test=False).participant_ids
            self.assertEqual(
                {p.email_normalized for p in one_people if p.mailjet_synced_state != p.state},
                set(),
                "the first list's work was committed",
            )
            optout = one_people.filtered(lambda p: p.email_normalized.startswith("optout."))
            self.assertEqual(optout.state, "declined")
            self.assertEqual(len(one_people), 8, "7 of the ERP and the widget signup")
            two_people = two.with_context(active_test=False).participant_ids
            self.assertEqual(len(two_people), 4)
            declined = two_people.filtered(lambda p: p.state == "declined")
            self.assertFalse(declined.mailjet_synced_state, "the ERP never heard back…")
        members = self._members(ids["list_two"])
        self.assertTrue(
            members[f"two.declined.{tag}@example.org"]["IsUnsubscribed"],
            "…although Mailjet applied the unsubscribe",
        )
        self.assertTrue(
            self._members(ids["list_one"])[f"optout.{tag}@example.org"]["IsUnsubscribed"]
        )

    def _sigkill_recover(self, ids):
        tag = ids["tag"]
        self.sandbox.control("DELETE", "faults")
        with self.committed_env() as env:
            run = env["ems.interface"].browse(ids["interface"])._run_sync()
            self.assertEqual((run.state, run.errors, run.lists_done), ("done", 0, 2), run.log)
            killed = env["ems.mailjet.sync.run"].browse(ids["killed_run"])
            self.assertEqual(killed.state, "failed", "the killed run is closed by the next")
            self.assertTrue(killed.ended_at)
            self.assertIn("Interrupted: the process running this synchronisation", killed.log)
            expected = {
                ids["one"]: {
                    f"kill.partner.{tag}@example.com": "accepted",
                    f"kill.employee.{tag}@example.com": "accepted",
                    f"bare.{tag}@example.org": "accepted",
                    f"declined.{tag}@example.org": "declined",
                    f"optout.{tag}@example.org": "declined",
                    f"widget.{tag}@example.net": "accepted",
                    f"new.{tag}@example.net": "accepted",
                    f"new.declined.{tag}@example.net": "declined",
                },
                ids["two"]: {
                    f"two.a.{tag}@example.org": "accepted",
                    f"two.b.{tag}@example.org": "accepted",
                    f"two.new.{tag}@example.org": "accepted",
                    f"two.declined.{tag}@example.org": "declined",
                },
            }
            for campaign_id, wanted in expected.items():
                campaign = env["utm.campaign"].browse(campaign_id)
                people = campaign.with_context(active_test=False).participant_ids
                self.assertEqual(len(people), len(wanted), "no loss, no duplicate")
                self.assertEqual({p.email_normalized: p.state for p in people}, wanted)
                self.assertEqual(
                    {p.email_normalized: p.mailjet_synced_state for p in people}, wanted
                )
                members = self._members(int(campaign.mailjet_list_id))
                self.assertEqual(
                    {
                        e: "declined" if m["IsUnsubscribed"] else "accepted"
                        for e, m in members.items()
                    },
                    wanted,
                )

    def _members(self, list_id):
        for lst in self.sandbox.state()["lists"]:
            if lst["ID"] == list_id:
                return {m["Email"]: m for m in lst["members"]}
        return {}

    def _sigkill_cleanup(self, ids):
        with self.committed_env() as env:
            cr = env.cr
            campaigns = [ids[k] for k in ("one", "two") if k in ids]
            participants = []
            if campaigns:
                cr.execute(
                    "SELECT id FROM ems_campaign_participant WHERE campaign_id = ANY(%s)",
                    (campaigns,),
                )
                participants = [r[0] for r in cr.fetchall()]
            for model, res_ids in (
                ("ems.campaign.participant", participants),
                ("utm.campaign", campaigns),
                ("ems.interface", [ids["interface"]] if "interface" in ids else []),
            ):
                cr.execute(
                    "DELETE FROM mail_message WHERE model = %s AND res_id = ANY(%s)",
                    (model, res_ids),
                )
                cr.execute(
                    "DELETE FROM mail_followers WHERE res_model = %s AND res_id = ANY(%s)",
                    (model, res_ids),
                )
            cr.execute("DELETE FROM ems_campaign_participant WHERE id = ANY(%s)", (participants,))
            cr.execute("DELETE FROM utm_campaign WHERE id = ANY(%s)", (campaigns,))
            if "interface" in ids:
                cr.execute("DELETE FROM ems_interface WHERE id = %s", (ids["interface"],))
            if "employee" in ids:
                env["hr.employee"].browse(ids["employee"]).unlink()
            partners = [ids[k] for k in ("partner", "work_contact") if ids.get(k)]
            env["res.partner"].browse(partners).exists().unlink()


@contextmanager
def _committed_env(registry):
    with registry.cursor() as cr:
        yield api.Environment(cr, SUPERUSER_ID, {})


def _row_test(row):
    def test(self):
        self.check_row(row)

    test.__name__ = f"test_fault_{row.name}"
    test.__doc__ = row.what
    return test


for _row in ROWS:
    setattr(TestFaultMatrix, f"test_fault_{_row.name}", _row_test(_row))


# Runs in a separate Odoo process: one sync of one interface, committing after each list.
_SIGKILL_SCRIPT = """
import json, sys
import odoo
from odoo.tools import config
options = json.loads(sys.argv[1])
config.parse_config(options["argv"])
from odoo.modules.registry import Registry
registry = Registry(options["db"])
with registry.cursor() as cr:
    env = odoo.api.Environment(cr, odoo.SUPERUSER_ID, {})
    env["ems.interface"].browse(options["interface"])._run_sync(auto_commit=True)
print("finished", flush=True)
"""

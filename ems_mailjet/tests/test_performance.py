"""D3: the SQL a sync issues does not grow with the size of the list (no N+1).

The same sync runs for a fresh campaign of 50 and one of 500 participants (from partners,
from employees, bare addresses, some declined), after a warm-up sync that fills Odoo's
caches; the number of SQL queries may differ by a few but by nothing that scales with the
participants: the initial push, a sync that finds nothing to do, and a sync that brings
Mailjet's changes back (unsubscribes, exclusions shown on partners and employees, widget
signups). What Mailjet changed (a tenth of the list here) is written through the ORM,
which sends up to 100 rows per statement; the full list (``mark_synced``, contact ids,
exclusions) is written with one statement. Speed itself is only measured by
``make bench``.
"""

import logging

from odoo.tests import tagged

from .common_sandbox import MailjetSandboxCase

_logger = logging.getLogger(__name__)

SMALL, LARGE = 50, 500
# Queries a sync of the large list may need beyond the small one's (the ORM groups the
# rows it flushes by the set of fields changed, so the groups can differ by one or two).
# A query per participant would add LARGE - SMALL = 450; writing through the ORM, which
# sends 100 rows per UPDATE, already adds 4.
SLACK = 3


@tagged("post_install", "-at_install", "ems_mailjet", "ems_mailjet_slow")
class TestSyncQueryCount(MailjetSandboxCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.campaign.mailjet_newsletter = False  # each test syncs only its own campaigns
        cls.partners = cls.env["res.partner"].create(
            [
                {"name": f"Kunde {i}", "email": f"kunde.{i}@example.com", "ref": f"K-{i}"}
                for i in range(LARGE // 5)
            ]
        )
        # partners that are no participant yet and sign up through the widget
        cls.newcomers = cls.env["res.partner"].create(
            [
                {"name": f"Neukunde {i}", "email": f"neukunde.{i}@example.com"}
                for i in range(LARGE // 20)
            ]
        )
        cls.employees = cls.env["hr.employee"].create(
            [
                {"name": f"Mitarbeiter {i}", "work_email": f"ma.{i}@staff.example.com"}
                for i in range(LARGE // 25)
            ]
        )

    # helpers ---------------------------------------------------------------
    def _campaign(self, size, title):
        """A newsletter campaign of ``size`` participants: one in five a partner, one in
        twenty-five an employee, the rest bare addresses; one in twelve declined."""
        campaign = self.env["utm.campaign"].create(
            {"title": title, "mailjet_newsletter": True, "mailjet_interface_id": self.interface.id}
        )
        vals_list = []
        for i in range(size):
            vals = {"campaign_id": campaign.id}
            if i % 5 == 0:
                vals["partner_id"] = self.partners[(i // 5) % len(self.partners)].id
            elif i % 25 == 1:
                vals["employee_id"] = self.employees[(i // 25) % len(self.employees)].id
            else:
                vals.update(
                    email=f"{title.lower().replace(' ', '.')}.{i}@example.org",
                    name=f"Reader {i}" if i % 2 else False,
                )
            if i % 12 == 7:
                vals["state"] = "declined"
            vals_list.append(vals)
        self.env["ems.campaign.participant"].create(vals_list)
        return campaign

    def _only(self, campaign):
        """Make ``campaign`` the only newsletter campaign of the interface."""
        others = self.env["utm.campaign"].search(
            [("mailjet_newsletter", "=", True), ("id", "!=", campaign.id)]
        )
        others.mailjet_newsletter = False
        campaign.mailjet_newsletter = True
        self.env.flush_all()

    def _queries(self, campaign):
        """SQL queries of one whole sync (run log, lists, engine, writes) of ``campaign``."""
        self._only(campaign)
        cr = self.env.cr
        before = cr.sql_log_count
        run = self.interface._sync_now()
        self.env.flush_all()
        count = cr.sql_log_count - before
        self.env.invalidate_all()
        return count, run

    def _warm_up(self):
        """Fill Odoo's caches (fields, groups, translations) so they count for no size."""
        warm = self._campaign(5, "Warm up")
        self._queries(warm)
        self._queries(warm)

    def assertBounded(self, small, large, what):
        _logger.info(
            "%s: %d SQL queries for %d participants, %d for %d", what, small, SMALL, large, LARGE
        )
        self.assertLessEqual(
            abs(large - small),
            SLACK,
            f"{what}: {small} SQL queries for {SMALL} participants but {large} for "
            f"{LARGE}; the count must not grow with the list",
        )

    # tests -----------------------------------------------------------------
    def test_D3_initial_push_queries_do_not_grow_with_the_list(self):
        self._warm_up()
        small, large = self._campaign(SMALL, "Small list"), self._campaign(LARGE, "Large list")
        q_small, run_small = self._queries(small)
        q_large, run_large = self._queries(large)
        declined = large.participant_ids.filtered(lambda p: p.state == "declined")
        self.assertEqual(run_small.pushed + run_small.unsubscribed_in_mailjet, SMALL)
        self.assertEqual(run_large.pushed + run_large.unsubscribed_in_mailjet, LARGE)
        self.assertEqual(run_large.unsubscribed_in_mailjet, len(declined))
        self.assertEqual(len(self.mailjet_list(large)), LARGE)
        self.assertFalse(
            large.participant_ids.filtered(lambda p: p.mailjet_synced_state != p.state)
        )
        self.assertBounded(q_small, q_large, "initial push")

    def test_D7_no_change_sync_queries_do_not_grow_and_nothing_is_written(self):
        self._warm_up()
        small, large = self._campaign(SMALL, "Small list"), self._campaign(LARGE, "Large list")
        self._queries(small)
        self._queries(large)
        write_dates = (small | large).participant_ids.mapped("write_date")
        before = self.sandbox.calls()["total"]
        q_small, run_small = self._queries(small)
        q_large, run_large = self._queries(large)
        calls = self.sandbox.calls()
        new_calls = calls["calls"][-(calls["total"] - before) :]
        self.assertFalse([c for c in new_calls if c["method"] != "GET"], "no write in Mailjet")
        self.assertEqual((small | large).participant_ids.mapped("write_date"), write_dates)
        for run in (run_small, run_large):
            self.assertEqual(
                (
                    run.state,
                    run.pushed,
                    run.unsubscribed_in_mailjet,
                    run.declined_from_mailjet,
                    run.new_signups,
                ),
                ("done", 0, 0, 0, 0),
            )
        self.assertBounded(q_small, q_large, "no-change sync")

    def test_D3_changes_from_mailjet_queries_do_not_grow_with_the_list(self):
        """A tenth of each list unsubscribes in Mailjet, a tenth gets excluded, and as many
        sign up through the widget (some of them partners): declines, exclusions shown on
        partners and employees, and new participants are written in batches."""
        self._warm_up()
        small, large = self._campaign(SMALL, "Small list"), self._campaign(LARGE, "Large list")
        counts, excluded_emails = {}, set()
        for campaign, size in ((small, SMALL), (large, LARGE)):
            self._queries(campaign)
            list_id = int(campaign.mailjet_list_id)
            accepted = campaign.participant_ids.filtered(lambda p: p.state == "accepted")
            tenth = size // 10
            for p in accepted[:tenth]:
                self.sandbox.unsubscribe(list_id, p.email_normalized)
            for p in accepted[tenth : 2 * tenth]:
                self.sandbox.exclude(p.email_normalized)
                excluded_emails.add(p.email_normalized)
            for i in range(tenth):
                email = (
                    self.newcomers[i // 2].email
                    if i % 2
                    else f"signup.{i}@list{campaign.id}.example.net"
                )
                self.sandbox.signup(list_id, email, f"Signup {i}")
            counts[size] = self._queries(campaign)
        (q_small, run_small), (q_large, run_large) = counts[SMALL], counts[LARGE]
        for run, size in ((run_small, SMALL), (run_large, LARGE)):
            self.assertEqual(run.state, "done")
            self.assertEqual(run.declined_from_mailjet, size // 10)
            self.assertEqual(run.new_signups, size // 10)
        excluded = large.participant_ids.filtered("mailjet_excluded")
        # the flag is global in Mailjet: partners excluded through the small list count too
        self.assertEqual(
            excluded,
            large.participant_ids.filtered(lambda p: p.email_normalized in excluded_emails),
        )
        self.assertGreaterEqual(len(excluded), LARGE // 10)
        self.assertTrue(excluded.partner_id and all(excluded.partner_id.mapped("mailjet_excluded")))
        self.assertTrue(all(excluded.employee_id.mapped("mailjet_excluded")))
        self.assertBounded(q_small, q_large, "changes from Mailjet")

"""Parallel sync workers (issue 14, item 4): the lists of one night shared by several of
Odoo's cron workers, each list claimed by one of them (README "Two workers")."""

from contextlib import contextmanager

import psycopg2
from freezegun import freeze_time

from odoo import fields
from odoo.sql_db import connection_info_for
from odoo.tests import tagged

from ..services.window import current_window
from .common import german
from .common_sandbox import MailjetSandboxCase

_LIST_LOCK = 0x454D534C
NIGHT = "2026-07-01 20:05:00"  # 22:05 in Berlin, inside the default window


@tagged("post_install", "-at_install", "ems_mailjet")
class TestWorkers(MailjetSandboxCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.second = cls.newsletter("Second list")

    def setUp(self):
        super().setUp()
        self.interface.write({"tz": "Europe/Berlin", "sync_requested": False, "sync_workers": 2})
        self.participant(email="one@example.com")
        self.participant(campaign=self.second, email="two@example.com")

    @contextmanager
    def other_worker(self):
        """A connection of its own, as another Odoo process has (yields its cursor)."""
        _db, info = connection_info_for(self.env.cr.dbname)
        cnx = psycopg2.connect(**info)
        cnx.autocommit = True
        try:
            yield cnx.cursor()
        finally:
            cnx.close()

    def claim(self, cursor, campaign):
        cursor.execute("SELECT pg_try_advisory_lock(%s, %s)", (_LIST_LOCK, campaign.id))
        return cursor.fetchone()[0]

    def worker(self, number):
        self.env["ems.interface"]._cron_sync(worker=number)
        self.env.invalidate_all()
        return self.interface.run_ids.filtered(lambda r: r.worker == number)

    def managed(self, campaign):
        """Bulk pushes the sandbox saw into ``campaign``'s list."""
        path = f"contactslist/{campaign.mailjet_list_id}/managemanycontacts"
        return sum(1 for c in self.sandbox.calls()["calls"] if c["path"].endswith(path))

    def test_R3_D7_two_workers_split_the_lists_and_none_is_synced_twice(self):
        with freeze_time(NIGHT), self.other_worker() as other:
            self.assertTrue(self.claim(other, self.campaign), "worker 2 is on the first list")
            first = self.worker(1)
            self.assertEqual(first.campaign_ids, self.second, "worker 1 took the other list")
            self.assertEqual((first.state, first.lists_done, first.lists_elsewhere), ("done", 1, 1))
            self.assertIn("two@example.com", self.mailjet_list(self.second))
            self.assertFalse(self.worker(2), "every list is taken: no empty run on the screen")
            other.execute("SELECT pg_advisory_unlock(%s, %s)", (_LIST_LOCK, self.campaign.id))
            second = self.worker(2)
            self.assertEqual(second.campaign_ids, self.campaign)
            self.assertEqual((second.state, second.lists_elsewhere), ("done", 1))
            self.worker(1)
            self.worker(2)
        self.assertIn("one@example.com", self.mailjet_list())
        runs = self.interface.run_ids
        self.assertEqual(len(runs), 2, "one run per worker, none twice")
        self.assertEqual(sorted(runs.mapped("worker")), [1, 2])
        for campaign in self.campaign | self.second:
            self.assertEqual(len(runs.filtered(lambda r, c=campaign: c in r.campaign_ids)), 1)
            self.assertEqual(self.managed(campaign), 1, "pushed once")

    def test_R3_nightly_done_counts_the_lists_of_every_worker(self):
        runs = self.env["ems.mailjet.sync.run"]
        with freeze_time(NIGHT), self.other_worker() as other:
            window = self._window()
            self.assertFalse(runs._nightly_done(self.interface, window))
            self.claim(other, self.second)
            self.worker(1)
            self.assertFalse(runs._nightly_done(self.interface, window), "half the lists")
            other.execute("SELECT pg_advisory_unlock(%s, %s)", (_LIST_LOCK, self.second.id))
            self.worker(2)
            self.assertTrue(runs._nightly_done(self.interface, window), "both workers' lists")
            # the next wake-up of either worker tonight finds nothing to do
            calls = self.calls()
            self.worker(1)
            self.worker(2)
            self.assertEqual(self.calls(), calls)
        self.assertEqual(len(self.interface.run_ids), 2)

    def test_D7_a_crashed_workers_claim_is_released(self):
        with freeze_time(NIGHT):
            with self.other_worker() as other:
                self.assertTrue(self.claim(other, self.campaign))
                other.execute("SELECT pg_backend_pid()")
                pid = other.fetchone()[0]
                # the process dies: PostgreSQL ends its session and drops its locks
                self.env.cr.execute("SELECT pg_terminate_backend(%s, 5000)", [pid])
                self.assertTrue(self.env.cr.fetchone()[0])
                run = self.worker(1)
        self.assertEqual(run.campaign_ids, self.campaign | self.second)
        self.assertEqual((run.state, run.lists_elsewhere), ("done", 0))
        self.assertIn("one@example.com", self.mailjet_list())

    def test_D7_a_list_another_worker_holds_is_skipped_not_waited_for(self):
        with freeze_time(NIGHT), self.other_worker() as other:
            self.claim(other, self.campaign)
            self.claim(other, self.second)
            self.assertFalse(self.worker(1), "nothing it could take")
            self.assertFalse(self.mailjet_list())

    def test_manual_sync_runs_every_list_whatever_the_workers(self):
        self.interface.action_sync_now()
        with freeze_time("2026-07-01 09:00:00"):  # outside the window
            self.assertFalse(self.worker(2), "only the main scheduled action runs it")
            run = self.worker(1)
        self.assertFalse(run, "not a worker's run")
        run = self.interface.run_ids
        self.assertEqual((run.trigger, run.worker, run.lists_done), ("manual", 0, 2))

    def test_R3_one_scheduled_action_per_parallel_worker(self):
        interfaces = self.env["ems.interface"]
        crons = interfaces._worker_crons()
        self.assertEqual(sorted(crons), [1, 2])
        helper = crons[2]
        self.assertTrue(helper.active)
        self.assertIn("worker=2", helper.code)
        self.interface.sync_workers = 3
        self.assertEqual(sorted(interfaces._worker_crons()), [1, 2, 3])
        self.interface.sync_workers = 1
        crons = interfaces._worker_crons()
        self.assertTrue(crons[1].active)
        self.assertFalse(crons[2].active or crons[3].active, "archived, not deleted")
        self.interface.sync_workers = 2
        self.assertTrue(interfaces._worker_crons()[2].active)
        # the night's wake-up call reaches each worker's scheduled action
        triggers = self.env["ir.cron.trigger"]
        before = triggers.search_count([("cron_id", "=", helper.id)])
        self.interface._schedule_next_window()
        self.assertGreater(triggers.search_count([("cron_id", "=", helper.id)]), before)

    def test_R3_each_workers_scheduled_action_is_named_in_german_too(self):
        german_env = german(self.env)
        self.interface.sync_workers = 3
        crons = self.env["ems.interface"]._worker_crons()
        self.assertEqual(
            crons[3].with_env(german_env).name, "Mailjet: nächtliche Synchronisation, Prozess 3"
        )
        self.assertEqual(crons[3].name, "Mailjet: nightly synchronisation, worker 3")
        # a worker made before German was installed gets its German name at the next change
        self.assertEqual(
            crons[2].with_env(german_env).name, "Mailjet: nächtliche Synchronisation, Prozess 2"
        )

    def _window(self):
        i = self.interface
        return current_window(
            fields.Datetime.now(), i.tz, i.sync_window_start, i.sync_window_minutes
        )

import logging
from datetime import datetime, timedelta
from unittest.mock import patch

from freezegun import freeze_time

from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.tests import Form, tagged
from odoo.tools import mute_logger

from .common_sandbox import MailjetSandboxCase

# Loggers that report Mailjet trouble as WARNING; tests that cause the trouble mute them.
MAILJET_LOGGERS = (
    "odoo.addons.ems_mailjet.services.gateway",
    "odoo.addons.ems_mailjet.services.sync",
    "odoo.addons.ems_mailjet.models.ems_interface",
    "odoo.addons.ems_mailjet.models.ems_mailjet_sync_run",
)


@tagged("post_install", "-at_install")
class TestSync(MailjetSandboxCase):
    def _people(self):
        partner = self.participant(partner_id=self.partner.id)
        employee = self.participant(employee_id=self.employee.id)
        bare = self.participant(email="Reader@Example.org")
        declined = self.participant(email="gone@example.org", state="declined")
        return partner, employee, bare, declined

    # R1 / R2 ---------------------------------------------------------------
    def test_R2_saving_credentials_queues_a_sync(self):
        cron = self.env.ref("ems_mailjet.ir_cron_mailjet_sync")
        triggers = self.env["ir.cron.trigger"].search_count([("cron_id", "=", cron.id)])
        interface = self.env["ems.interface"].create(
            {"name": "New", "api_key": "k2", "api_secret": "s2", "api_url": self.sandbox.url}
        )
        self.assertTrue(interface.sync_requested)
        self.assertGreater(
            self.env["ir.cron.trigger"].search_count([("cron_id", "=", cron.id)]), triggers
        )
        self.assertFalse(self.sandbox.calls()["total"], "saving returns at once, no API call")

    def test_R2_cron_runs_the_queued_sync_outside_the_window(self):
        self.participant(email="queued@example.com")
        self.interface.write({"api_secret_input": self.SECRET})
        with freeze_time("2026-06-01 09:00:00"):
            self.env["ems.interface"]._cron_sync()
        self.env.invalidate_all()
        self.assertFalse(self.interface.sync_requested)
        self.assertEqual(self.interface.run_ids[:1].trigger, "save")
        self.assertIn("queued@example.com", self.mailjet_list())

    @mute_logger(*MAILJET_LOGGERS)
    def test_R1_test_connection_ok_and_wrong_secret(self):
        result = self.interface.action_test_connection()
        self.assertEqual(result["params"]["type"], "success")
        self.interface.api_secret = "wrong-secret"
        message = self.interface.action_test_connection()["params"]["message"]
        self.assertIn("rejected the API key or the API password", message)
        self.assertNotIn("wrong-secret", message)

    # R4 ---------------------------------------------------------------------
    def test_R4_newsletter_campaign_gets_a_list_named_after_it(self):
        self.sync()
        self.assertTrue(self.campaign.mailjet_list_id)
        self.assertIn("Spring newsletter", self.list_names())
        self.assertNotIn("Trade fair", self.list_names(), "only ticked campaigns (R4)")

    def test_R4_renaming_the_campaign_renames_the_list(self):
        self.sync()
        list_id = self.campaign.mailjet_list_id
        self.campaign.title = "Summer newsletter"
        self.sync()
        self.assertEqual(self.campaign.mailjet_list_id, list_id)
        self.assertIn("Summer newsletter", self.list_names())
        self.assertNotIn("Spring newsletter", self.list_names())

    def test_R4_unticking_stops_the_sync_and_keeps_the_list(self):
        self.participant(email="first@example.com")
        self.sync()
        self.campaign.mailjet_newsletter = False
        self.participant(email="later@example.com")
        self.sync()
        members = self.mailjet_list()
        self.assertIsNotNone(members, "the list is kept")
        self.assertIn("first@example.com", members)
        self.assertNotIn("later@example.com", members)

    # R9 ---------------------------------------------------------------------
    def test_R9_accepted_pushed_in_bulk_declined_sent_as_unsub(self):
        self._people()
        run = self.sync()
        members = self.mailjet_list()
        for email in ("erika@example.com", "max.muster@example.com", "reader@example.org"):
            self.assertFalse(members[email]["IsUnsubscribed"], email)
        self.assertTrue(members["gone@example.org"]["IsUnsubscribed"])
        self.assertEqual(run.pushed, 3)
        self.assertEqual(run.unsubscribed_in_mailjet, 1)
        self.assertEqual(self.calls("POST contactslist/managecontact"), 0, "bulk only (D3)")
        self.assertEqual(self.calls("POST contactslist/managemanycontacts"), 2)

    # R7 / R8 / D4 -----------------------------------------------------------
    def test_R7_unsubscribe_in_mailjet_declines_the_participant_with_its_date(self):
        partner, *_ = self._people()
        self.sync()
        self.sandbox.unsubscribe(int(self.campaign.mailjet_list_id), "erika@example.com")
        run = self.sync()
        self.assertEqual(partner.state, "declined")
        self.assertTrue(partner.declined_at)
        self.assertEqual(run.declined_from_mailjet, 1)

    def test_R8_D4_sync_never_resubscribes_an_unsubscribed_contact(self):
        person = self.participant(email="stay.out@example.com")
        self.sync()
        list_id = int(self.campaign.mailjet_list_id)
        self.sandbox.unsubscribe(list_id, "stay.out@example.com")
        for _ in range(2):
            self.sync()
        self.assertTrue(self.mailjet_list()["stay.out@example.com"]["IsUnsubscribed"])
        self.assertEqual(person.state, "declined")
        self.assertEqual(self.calls("POST contactslist/managecontact"), 0, "no addforce")

    def test_R8_declined_participant_cannot_be_accepted_by_hand(self):
        person = self.participant(email="final@example.com", state="declined")
        with self.assertRaises(UserError):
            person.state = "accepted"
        self.assertEqual(person.state, "declined")

    def test_D4_unsubscribe_on_either_side_wins(self):
        erp_side = self.participant(email="erp.unsub@example.com")
        mj_side = self.participant(email="mj.unsub@example.com")
        self.sync()
        erp_side.state = "declined"
        self.sandbox.unsubscribe(int(self.campaign.mailjet_list_id), "mj.unsub@example.com")
        self.sync()
        members = self.mailjet_list()
        self.assertTrue(members["erp.unsub@example.com"]["IsUnsubscribed"])
        self.assertTrue(members["mj.unsub@example.com"]["IsUnsubscribed"])
        self.assertEqual(mj_side.state, "declined")

    def test_synced_participant_is_declined_not_deleted(self):
        person = self.participant(email="synced@example.com")
        self.sync()
        with self.assertRaises(UserError):
            person.unlink()
        with self.assertRaises(UserError):
            person.email = "other@example.com"

    # R10 / R11 / R12 --------------------------------------------------------
    def test_R10_R11_widget_signups_become_matched_participants(self):
        self.participant(email="seed@example.com")
        self.sync()
        list_id = int(self.campaign.mailjet_list_id)
        self.sandbox.signup(list_id, "MAX.MUSTER@example.com", "Max")
        self.sandbox.signup(list_id, "erika@example.com", "Erika")
        self.sandbox.signup(list_id, "stranger@example.net", "Stranger")
        partners_before = self.env["res.partner"].search_count([])
        run = self.sync()
        by_email = {p.email_normalized: p for p in self.campaign.participant_ids}
        employee = by_email["max.muster@example.com"]
        self.assertEqual((employee.source, employee.employee_id), ("mailjet", self.employee))
        self.assertEqual(employee.number, "EMP042")
        partner = by_email["erika@example.com"]
        self.assertEqual((partner.partner_id, partner.number), (self.partner, "K-1001"))
        stranger = by_email["stranger@example.net"]
        self.assertFalse(stranger.partner_id or stranger.employee_id or stranger.number)
        self.assertEqual(stranger.state, "accepted")
        self.assertEqual((run.new_signups, run.matched, run.unmatched), (3, 2, 1))
        self.assertEqual(self.env["res.partner"].search_count([]), partners_before, "R12")

    def test_R11_ambiguous_signup_is_flagged_not_linked(self):
        self.env["res.partner"].create({"name": "Twin A", "email": "twin@example.com"})
        self.env["res.partner"].create({"name": "Twin B", "email": "twin@example.com"})
        self.sync()
        self.sandbox.signup(int(self.campaign.mailjet_list_id), "twin@example.com")
        run = self.sync()
        twin = self.campaign.participant_ids.filtered(lambda p: p.email == "twin@example.com")
        self.assertTrue(twin.mailjet_ambiguous)
        self.assertFalse(twin.partner_id)
        self.assertEqual(run.ambiguous, 1)

    # exclusions, R5 / D6 ----------------------------------------------------
    def test_exclusions_show_on_participant_partner_and_employee(self):
        partner, employee, *_ = self._people()
        self.sync()
        self.sandbox.exclude("erika@example.com")
        self.sandbox.exclude("max.muster@example.com")
        self.sync()
        self.assertTrue(partner.mailjet_excluded)
        self.assertTrue(employee.mailjet_excluded)
        self.assertTrue(self.partner.mailjet_excluded)
        self.assertTrue(self.employee.mailjet_excluded)

    def test_R5_D6_list_counters_and_statistics_on_the_campaign(self):
        self._people()
        self.sync()
        list_id = int(self.campaign.mailjet_list_id)
        self.sandbox.exclude("reader@example.org")
        self.sandbox.create_campaign(
            list_id,
            "May issue",
            {
                "MessageSentCount": 3,
                "MessageOpenedCount": 2,
                "MessageClickedCount": 1,
                "MessageUnsubscribedCount": 1,
                "MessageHardBouncedCount": 1,
                "MessageSoftBouncedCount": 1,
                "MessageSpamCount": 1,
            },
        )
        self.campaign.mailjet_stats_at = False
        self.sync()
        c = self.campaign
        self.assertEqual(
            (
                c.mailjet_count_total,
                c.mailjet_count_subscribed,
                c.mailjet_count_unsubscribed,
                c.mailjet_count_excluded,
            ),
            (4, 3, 1, 1),
        )
        self.assertEqual(
            (
                c.mailjet_stat_sent,
                c.mailjet_stat_opened,
                c.mailjet_stat_clicked,
                c.mailjet_stat_unsubscribed,
                c.mailjet_stat_bounced,
                c.mailjet_stat_spam,
            ),
            (3, 2, 1, 1, 2, 1),
        )

    # D5 ---------------------------------------------------------------------
    def test_D5_resubscribe_with_consent_on_both_sides(self):
        person = self.participant(email="comeback@example.com")
        self.sync()
        self.sandbox.unsubscribe(int(self.campaign.mailjet_list_id), "comeback@example.com")
        self.sync()
        self.assertEqual(person.state, "declined")
        wizard_env = self.env["ems.consent.resubscribe"].with_user(self.campaign_manager)
        with Form(wizard_env.with_context(default_participant_id=person.id)) as form:
            form.consent_note = "Asked by e-mail on 3 May to get the newsletter again."
        form.record.action_confirm()
        self.env.invalidate_all()
        self.assertEqual(person.state, "accepted")
        self.assertFalse(person.declined_at)
        self.assertEqual(person.consent_user_id, self.campaign_manager)
        self.assertFalse(self.mailjet_list()["comeback@example.com"]["IsUnsubscribed"])
        self.assertIn("consent", person.message_ids[:1].body)
        self.sync()
        self.assertEqual(person.state, "accepted", "the next sync keeps the consent")

    def test_D5_consent_text_is_required(self):
        person = self.participant(email="noconsent@example.com", state="declined")
        wizard = (
            self.env["ems.consent.resubscribe"]
            .with_user(self.campaign_manager)
            .create({"participant_id": person.id, "consent_note": "   "})
        )
        with self.assertRaises(UserError):
            wizard.action_confirm()
        self.assertEqual(person.state, "declined")

    def test_D5_only_managers_may_resubscribe(self):
        person = self.participant(email="user@example.com", state="declined")
        with self.assertRaises(AccessError):
            wizard = (
                self.env["ems.consent.resubscribe"]
                .with_user(self.campaign_user)
                .create({"participant_id": person.id, "consent_note": "yes"})
            )
            wizard.action_confirm()
        self.assertEqual(person.state, "declined")

    # D7 run log ---------------------------------------------------------------
    def test_D7_run_log_counts_and_a_second_sync_changes_nothing(self):
        self._people()
        first = self.sync()
        self.assertEqual(first.state, "done")
        self.assertEqual((first.pushed, first.unsubscribed_in_mailjet, first.errors), (3, 1, 0))
        self.assertTrue(first.ended_at and first.duration >= 0)
        before = self.sandbox.calls()["total"]
        write_dates = self.campaign.participant_ids.mapped("write_date")
        second = self.sync()
        self.assertEqual(
            (second.pushed, second.declined_from_mailjet, second.new_signups), (0, 0, 0)
        )
        calls = self.sandbox.calls()
        self.assertLessEqual(calls["total"] - before, 5, "list read + 4 checks")
        self.assertFalse(
            [c for c in calls["calls"][-(calls["total"] - before) :] if c["method"] != "GET"],
            "no write in Mailjet",
        )
        self.assertEqual(self.campaign.participant_ids.mapped("write_date"), write_dates)

    @mute_logger(*MAILJET_LOGGERS)
    def test_D7_outage_loses_nothing_and_the_next_run_completes(self):
        self._people()
        self.sandbox.fault(kind="status", status=503, path="managemanycontacts", count=50)
        run = self.sync()
        self.assertIn(run.state, ("partial", "failed"))
        self.assertTrue(run.errors)
        self.assertFalse(any(self.campaign.participant_ids.mapped("mailjet_synced_state")))
        self.sandbox.control("DELETE", "faults")
        run = self.sync()
        self.assertEqual(run.state, "done")
        self.assertEqual(len(self.mailjet_list()), 4)

    @mute_logger(*MAILJET_LOGGERS)
    def test_D7_revoked_credentials_fail_clearly(self):
        self._people()
        self.sandbox.revoke()
        run = self.sync()
        self.assertEqual(run.state, "failed")
        self.assertEqual(self.interface.state, "error")
        self.assertIn("rejected the API key", run.log)
        self.assertEqual(
            set(self.campaign.participant_ids.mapped("state")), {"accepted", "declined"}
        )

    def test_D7_old_runs_are_purged(self):
        old = self.env["ems.mailjet.sync.run"].create(
            {
                "interface_id": self.interface.id,
                "state": "done",
                "started_at": datetime.now() - timedelta(days=200),
            }
        )
        recent = self.sync()
        self.env["ems.mailjet.sync.run"]._gc_old_runs()
        self.assertFalse(old.exists())
        self.assertTrue(recent.exists())

    def test_two_runs_at_once_do_not_overlap(self):
        from odoo.sql_db import db_connect

        with db_connect(self.env.cr.dbname).cursor() as other:
            other.execute("SELECT pg_advisory_lock(%s, %s)", (0x454D534D, self.interface.id))
            try:
                run = self.sync()
            finally:
                other.execute("SELECT pg_advisory_unlock(%s, %s)", (0x454D534D, self.interface.id))
        self.assertEqual(run.state, "skipped")
        self.assertFalse(self.sandbox.calls()["total"])

    # R3 -----------------------------------------------------------------------
    def test_R3_cron_syncs_only_inside_the_window_and_once(self):
        self.interface.write({"tz": "Europe/Berlin", "sync_requested": False})
        self.participant(email="nightly@example.com")
        with freeze_time("2026-07-01 12:00:00"):  # 14:00 in Berlin
            self.env["ems.interface"]._cron_sync()
        self.assertFalse(self.interface.run_ids)
        with freeze_time("2026-07-01 20:05:00"):  # 22:05 CEST
            self.env["ems.interface"]._cron_sync()
            self.env["ems.interface"]._cron_sync()
        runs = self.interface.run_ids
        self.assertEqual(len(runs), 1)
        self.assertEqual(runs.trigger, "cron")
        self.assertIn("nightly@example.com", self.mailjet_list())

    def test_R3_window_end_stops_the_run_and_the_next_resumes(self):
        second = self.env["utm.campaign"].create(
            {
                "title": "Second list",
                "mailjet_newsletter": True,
                "mailjet_interface_id": self.interface.id,
            }
        )
        self.participant(email="one@example.com")
        self.participant(campaign=second, email="two@example.com")
        past = datetime(2000, 1, 1)
        run = self.interface._run_sync(trigger="cron", deadline=past)
        self.assertEqual(run.state, "partial")
        self.assertEqual(run.lists_done, 0)
        self.assertIn("sync window ended", run.log)
        run = self.interface._run_sync(trigger="cron")
        self.assertEqual((run.state, run.lists_done), ("done", 2))

    # D8 -----------------------------------------------------------------------
    def test_D8_secret_never_in_logs_run_log_or_errors(self):
        records = []

        class Capture(logging.Handler):
            def emit(self, record):
                records.append(self.format(record))

        handler = Capture(level=logging.DEBUG)
        root = logging.getLogger()
        ours = logging.getLogger("odoo.addons.ems_mailjet")
        saved = (root.level, ours.level, ours.propagate, [h.level for h in root.handlers])
        for existing in root.handlers:  # keep the captured lines out of the test output
            existing.setLevel(logging.CRITICAL)
        root.addHandler(handler)
        ours.addHandler(handler)
        root.setLevel(logging.DEBUG)
        ours.setLevel(logging.DEBUG)
        ours.propagate = False
        try:
            self._people()
            self.sync()
            self.sandbox.fault(kind="status", status=500, count=20)
            self.sync()
            self.sandbox.revoke()
            self.sync()
            self.interface.action_test_connection()
        finally:
            root.removeHandler(handler)
            ours.removeHandler(handler)
            root.setLevel(saved[0])
            ours.setLevel(saved[1])
            ours.propagate = saved[2]
            for existing, level in zip(root.handlers, saved[3], strict=True):
                existing.setLevel(level)
        self.assertTrue(records)
        texts = records + self.interface.run_ids.mapped("log") + [self.interface.last_error]
        self.assertFalse([t for t in texts if t and self.SECRET in t])

    def test_D8_api_url_must_stay_local_or_mailjet(self):
        with self.assertRaises(ValidationError):
            self.interface.api_url = "http://10.0.0.1:8080/"

    def _delete_list_in_mailjet(self, how):
        import mailjet_rest

        self.sandbox.config(list_delete=how)
        mj = mailjet_rest.Client(
            auth=("sandbox-key", self.SECRET), api_url=self.sandbox.url, timeout=5
        )
        old = int(self.campaign.mailjet_list_id)
        self.assertEqual(mj.contactslist.delete(id=old).status_code, 204)
        return old

    def _check_deleted_list_is_shown(self, how):
        self.participant(email="again@example.com")
        self.sync()
        old = self._delete_list_in_mailjet(how)
        lists_before = len(self.sandbox.state()["lists"])
        with mute_logger("odoo.addons.ems_mailjet.models.ems_mailjet_sync_run"):
            run = self.sync()
        self.assertEqual(run.state, "partial", run.log)
        self.assertIn("was deleted in Mailjet", run.log)
        self.assertTrue(self.campaign.mailjet_list_deleted)
        self.assertEqual(int(self.campaign.mailjet_list_id), old)
        self.assertEqual(len(self.sandbox.state()["lists"]), lists_before, "nothing created")

    def test_a_soft_deleted_list_is_shown_and_nothing_is_created_silently(self):
        self._check_deleted_list_is_shown("soft")

    def test_a_hard_deleted_list_is_shown_and_nothing_is_created_silently(self):
        self._check_deleted_list_is_shown("hard")

    def test_a_soft_deleted_list_is_reinstated_with_its_unsubscribes(self):
        self.participant(email="stays@example.com")
        self.participant(email="leaves@example.com")
        self.sync()
        old = int(self.campaign.mailjet_list_id)
        self.sandbox.unsubscribe(old, "leaves@example.com")
        self._delete_list_in_mailjet("soft")
        self.sync()
        self.assertTrue(self.campaign.mailjet_list_deleted)
        self.campaign.action_mailjet_reinstate_list()
        self.assertFalse(self.campaign.mailjet_list_deleted)
        run = self.sync()
        self.assertEqual((run.state, int(self.campaign.mailjet_list_id)), ("done", old), run.log)
        leaves = self.campaign.participant_ids.filtered(
            lambda p: p.email_normalized == "leaves@example.com"
        )
        self.assertEqual(leaves.state, "declined", "the unsubscribe survives the deletion")

    def test_a_hard_deleted_list_cannot_be_reinstated_but_a_new_list_can_be_started(self):
        self.participant(email="stays@example.com")
        self.participant(email="gone@example.com", state="declined")
        self.sync()
        old = self._delete_list_in_mailjet("hard")
        self.sync()
        with self.assertRaises(UserError):
            self.campaign.action_mailjet_reinstate_list()
        self.campaign.action_mailjet_new_list()
        run = self.sync()
        self.assertEqual(run.state, "done", run.log)
        self.assertNotEqual(int(self.campaign.mailjet_list_id), old)
        members = self.mailjet_list()
        self.assertFalse(members["stays@example.com"]["IsUnsubscribed"])
        self.assertTrue(members["gone@example.com"]["IsUnsubscribed"], "no unsubscribe lost")

    def test_each_campaign_is_written_once_per_run(self):
        """The per-list work lives on the campaign and ends in a single write."""
        second = self.env["utm.campaign"].create(
            {"title": "Autumn newsletter", "mailjet_newsletter": True}
        )
        second.mailjet_interface_id = self.interface
        self.participant(email="anna@example.com")
        self.participant(campaign=second, email="bernd@example.com")
        campaign_class = type(self.env["utm.campaign"])
        original = campaign_class.write
        written = []

        def write(records, vals):
            written.extend(records.ids)
            return original(records, vals)

        with patch.object(campaign_class, "write", write):
            run = self.sync()
        self.assertEqual((run.state, run.lists_done, run.pushed), ("done", 2, 2), run.log)
        self.assertEqual(sorted(written), sorted([self.campaign.id, second.id]))

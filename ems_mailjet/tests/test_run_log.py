"""Run-log lines as records, read in the reader's language (one table of codes)."""

from odoo import Command
from odoo.tests import TransactionCase, tagged

from odoo.addons.ems_mailjet.models.ems_mailjet_messages import (
    LEVELS,
    MESSAGES,
    render,
    rendered_codes,
)
from odoo.addons.ems_mailjet.services.errors import MailjetUnavailable
from odoo.addons.ems_mailjet.services.notes import CODES, Note, Op
from odoo.addons.ems_mailjet.services.webhook import parse_events

from .common import german
from .common_sandbox import MailjetSandboxCase

# Enough parameters for any line; each template takes the ones it names.
SAMPLE = {
    "email": "anna@example.com",
    "reason_code": "email_no_at",
    "reason_params": {"email": "anna.example.com"},
    "count": 3,
    "job_id": 7,
    "action": "unsub",
    "detail": "Invalid email",
    "name": "Spring newsletter",
    "old_id": 11,
    "new_id": 12,
    "status": 503,
    "attempts": 3,
    "list_id": 12,
    "contact_id": 5,
    "campaign_id": 9,
    "event_type": "unsub",
    "campaign": "Spring newsletter",
    "date": "2026-01-01 10:00:00",
    "tz": "Europe/Berlin",
}


@tagged("post_install", "-at_install", "ems_mailjet")
class TestRunLog(MailjetSandboxCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.env_de = german(cls.env)
        cls.env_en = cls.env(context=dict(cls.env.context, lang="en_US"))

    def test_D9_every_engine_code_has_a_rendering(self):
        """A code the engine can emit (a line, a request, a cause) without a sentence in the
        table fails here, before a user sees a bare code."""
        self.assertEqual(rendered_codes() - set(MESSAGES), set())
        self.assertEqual(set(MESSAGES) - rendered_codes(), set(), "sentences nobody uses")
        self.assertLessEqual(set(CODES), set(LEVELS))

    def test_D9_every_code_reads_differently_in_german(self):
        """None is missing from de.po: German differs from English for each code."""
        same = []
        for code in sorted(rendered_codes()):
            params = dict(SAMPLE)
            if code.startswith("mailjet_"):
                params.update(op="signups", cause="timeout")
            english, german = render(self.env_en, code, params), render(self.env_de, code, params)
            self.assertNotIn("%(", german, code)
            if english == german:
                same.append(code)
        self.assertEqual(same, [])

    def test_D9_an_address_problem_reads_in_german(self):
        text = render(self.env_de, "invalid_address", SAMPLE)
        self.assertIn("anna@example.com: ", text)
        self.assertIn("kein „@“", text)

    def test_D9_a_mailjet_outage_reads_in_german_on_the_run_and_the_interface(self):
        self.participant(email="anna@example.com")
        self.sandbox.fault(kind="status", status=500, count=50)
        run = self.sync()
        self.assertEqual(run.state, "failed")
        line = run.line_ids.filtered(lambda line: line.level == "error")[:1]
        self.assertEqual(line.code, "mailjet_unavailable")
        self.assertIn("nicht erreichbar", line.with_context(lang="de_DE").message)
        self.assertIn("could not be reached", line.with_context(lang="en_US").message)
        self.assertIn("HTTP-Status 500", run.with_context(lang="de_DE").log)
        interface = self.interface.with_context(lang="de_DE")
        self.assertEqual(interface.state, "error")
        self.assertIn("nicht erreichbar", interface.last_error)

    def test_invalid_address_line_points_to_its_participant_and_campaign(self):
        good = self.participant(email="anna@example.com")
        self.participant(email="bernd@example.com")
        # An address the form would refuse, as an import or older data may hold it.
        self.env.cr.execute(
            "UPDATE ems_campaign_participant SET email = 'kaputt@localhost' WHERE id = %s",
            [good.id],
        )
        self.env.invalidate_all()
        run = self.sync()
        [line] = run.line_ids.filtered(lambda line: line.code == "invalid_address")
        self.assertEqual(
            (line.level, line.participant_id, line.campaign_id), ("error", good, self.campaign)
        )
        lines = self.env["ems.mailjet.sync.run.line"].search([("participant_id", "=", good.id)])
        self.assertEqual(lines, line)

    def test_run_title_is_in_the_readers_date_format(self):
        run = self.sync()
        run.started_at = "2026-11-28 01:42:35"
        german = run.with_context(lang="de_DE", tz="UTC").display_name
        self.assertEqual(german, "Lauf vom 28.11.2026 01:42:35")

    def test_a_note_with_an_unknown_code_is_refused_in_the_engine(self):
        with self.assertRaises(ValueError):
            Note("no_such_code")
        error = MailjetUnavailable(Op("lists"), attempts=2, cause="timeout")
        self.assertIn("Zeitüberschreitung", render(self.env_de, error.code, error.params))


@tagged("post_install", "-at_install", "ems_mailjet")
class TestWebhookProcess(MailjetSandboxCase):
    """The webhook's decisions, without HTTP: the model method the controller calls."""

    def test_R7_unsubscribe_event_declines_and_logs_a_line(self):
        self.campaign.mailjet_list_id = "4242"
        anna = self.participant(email="anna@example.com")
        body = (
            '[{"event": "unsub", "email": "Anna@Example.com", "mj_list_id": 4242, '
            '"time": 1767261600}]'
        )
        declined, ignored = self.interface._mailjet_webhook_process(parse_events(body))
        self.assertEqual((declined, ignored), (1, 0))
        self.assertEqual((anna.state, anna.mailjet_synced_state), ("declined", "declined"))
        run = self.env["ems.mailjet.sync.run"].search(
            [("interface_id", "=", self.interface.id), ("trigger", "=", "webhook")]
        )
        [line] = run.line_ids
        self.assertEqual((line.code, line.participant_id), ("webhook_unsubscribed", anna))
        self.assertIn("anna@example.com declined in Spring newsletter", line.message)
        # Mailjet retries: the same events again change nothing.
        self.assertEqual(self.interface._mailjet_webhook_process(parse_events(body)), (0, 1))


@tagged("post_install", "-at_install", "ems_mailjet")
class TestRunLogCompanies(TransactionCase):
    def test_an_admin_sees_only_the_log_lines_of_his_companies(self):
        company_b = self.env["res.company"].create({"name": "Company B (run log test)"})
        interfaces = self.env["ems.interface"]
        runs = self.env["ems.mailjet.sync.run"]
        lines = []
        for company in (self.env.company, company_b):
            interface = interfaces.create(
                {"name": f"Mailjet {company.name}", "company_id": company.id}
            )
            run = runs.create({"interface_id": interface.id, "state": "done"})
            run._log("list_renamed", {"name": company.name})
            lines.append(run.line_ids)
        admin_a = (
            self.env["res.users"]
            .with_context(no_reset_password=True)
            .create(
                {
                    "name": "Admin A",
                    "login": "run_log_admin_a",
                    "company_id": self.env.company.id,
                    "company_ids": [Command.set([self.env.company.id])],
                    "groups_id": [Command.set([self.env.ref("base.group_system").id])],
                }
            )
        )
        found = self.env["ems.mailjet.sync.run.line"].with_user(admin_a).search([])
        self.assertIn(lines[0], found)
        self.assertNotIn(lines[1], found)

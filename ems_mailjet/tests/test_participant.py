from psycopg2 import IntegrityError

from odoo.exceptions import UserError, ValidationError
from odoo.tests import Form, tagged
from odoo.tools import mute_logger

from ..services.emails import EMAIL_PROBLEMS
from .common import EmsMailjetCase


@tagged("post_install", "-at_install")
class TestParticipant(EmsMailjetCase):
    def test_R9_bare_email_is_a_participant(self):
        bare = self.participant(email="  Reader@Example.ORG ")
        self.assertEqual(bare.email_normalized, "reader@example.org")
        self.assertEqual(bare.state, "accepted")
        self.assertEqual(bare.source, "erp")
        self.assertFalse(bare.number, "a bare address has no number")
        self.assertFalse(bare.partner_id or bare.employee_id)

    def test_unique_per_campaign_ignores_case_and_blanks(self):
        self.participant(email="jane@example.com")
        with self.assertRaises(IntegrityError), mute_logger("odoo.sql_db"), self.cr.savepoint():
            self.participant(email="  JANE@Example.com ")
            self.env.flush_all()

    def test_archived_participant_still_blocks_a_duplicate(self):
        first = self.participant(email="jane@example.com", state="declined")
        first.active = False
        with self.assertRaises(IntegrityError), mute_logger("odoo.sql_db"), self.cr.savepoint():
            self.participant(email="Jane@example.com")
            self.env.flush_all()

    def test_same_address_in_two_campaigns(self):
        one = self.participant(email="jane@example.com")
        two = self.participant(campaign=self.other_campaign, email="jane@example.com")
        self.assertNotEqual(one, two)

    def test_invalid_emails_are_refused_with_a_clear_message(self):
        cases = {
            "": "empty",
            "   ": "empty",
            "no-at.example.com": "no '@'",
            "a@b@example.com": "more than one '@'",
            "@example.com": "nothing before",
            "jane@": "nothing after",
            "jane@example.com.": "dot",
            "jane..doe@example.com": "dot",
            "jane@localhost": "no dot",
            "jane doe@example.com": "spaces",
            ("x" * 250) + "@example.com": "longer than 254",
            ("x" * 65) + "@example.com": "longer than 64",
            "jane(doe)@example.com": "not allowed",
        }
        for email, reason in cases.items():
            with self.subTest(email=email), self.assertRaises(ValidationError) as caught:
                self.participant(email=email)
            self.assertIn(reason, str(caught.exception))

    def test_invalid_email_loses_nothing(self):
        good = self.participant(email="keep@example.com")
        with self.assertRaises(ValidationError):
            good.email = "broken"
        good.invalidate_recordset()
        self.assertEqual(good.email, "keep@example.com")

    def test_D9_every_address_problem_reads_differently_in_german(self):
        """Each refusal the engine can give renders from the table, and de.po has it."""
        self.env["res.lang"]._activate_lang("de_DE")
        self.env["ir.module.module"]._load_module_terms(["ems_mailjet"], ["de_DE"], overwrite=True)
        participants = self.env["ems.campaign.participant"]
        params = {"email": "anna@beispiel", "max": 64}
        for code, english in EMAIL_PROBLEMS.items():
            with self.subTest(code=code):
                in_english = participants.with_context(lang="en_US")._email_problem_text(
                    code, params
                )
                in_german = participants.with_context(lang="de_DE")._email_problem_text(
                    code, params
                )
                self.assertEqual(in_english, english % params)
                self.assertNotEqual(in_german, in_english)
                if "%(email)s" in english:
                    self.assertIn("anna@beispiel", in_german)

    def test_idn_domain_is_normalised_to_ascii(self):
        person = self.participant(email="Anna@Bücher.de")
        self.assertEqual(person.email_normalized, "anna@xn--bcher-kva.de")
        self.assertEqual(person.email, "Anna@Bücher.de", "what the user typed is kept")

    def test_R11_number_is_the_partner_reference(self):
        self.assertEqual(self.participant(partner_id=self.partner.id).number, "K-1001")

    def test_R11_number_falls_back_to_partner_id(self):
        person = self.participant(partner_id=self.partner_noref.id)
        self.assertEqual(person.number, str(self.partner_noref.id))

    def test_R11_number_is_the_employee_badge(self):
        self.assertEqual(self.participant(employee_id=self.employee.id).number, "EMP042")

    def test_R11_number_falls_back_to_employee_id(self):
        person = self.participant(employee_id=self.employee_nobadge.id)
        self.assertEqual(person.number, str(self.employee_nobadge.id))

    def test_number_follows_a_changed_reference(self):
        person = self.participant(partner_id=self.partner.id)
        self.partner.ref = "K-2002"
        self.assertEqual(person.number, "K-2002")

    def test_choosing_a_partner_fills_email_and_name(self):
        with Form(self.env["ems.campaign.participant"]) as form:
            form.campaign_id = self.campaign
            form.partner_id = self.partner
            self.assertEqual(form.email, "Erika@Example.com")
            self.assertEqual(form.name, "Erika Mustermann")
        self.assertEqual(form.record.email_normalized, "erika@example.com")

    def test_choosing_an_employee_fills_email_and_name(self):
        with Form(self.env["ems.campaign.participant"]) as form:
            form.campaign_id = self.campaign
            form.employee_id = self.employee
            self.assertEqual(form.email, "max.muster@example.com")
            self.assertEqual(form.name, "Max Muster")
        self.assertEqual(form.record.number, "EMP042")

    def test_R7_declining_stamps_the_date(self):
        person = self.participant(email="jane@example.com")
        self.assertFalse(person.declined_at)
        person.state = "declined"
        self.assertTrue(person.declined_at)

    def test_R8_declined_participant_cannot_be_deleted(self):
        person = self.participant(email="jane@example.com", state="declined")
        with self.assertRaises(UserError):
            person.unlink()
        self.assertTrue(person.exists())

    def test_R8_declined_participant_can_be_archived(self):
        person = self.participant(email="jane@example.com", state="declined")
        person.action_archive()
        self.assertFalse(person.active)
        self.assertEqual(person.state, "declined", "archiving keeps the unsubscribe")

    def test_accepted_participant_can_be_deleted(self):
        person = self.participant(email="jane@example.com")
        person.unlink()
        self.assertFalse(person.exists())

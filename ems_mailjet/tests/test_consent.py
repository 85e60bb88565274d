"""Double opt-in signups, proof of consent and erasure (GDPR), on Odoo with the sandbox."""

import hashlib
from unittest.mock import patch

from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.tests import Form, tagged

from ..services.gateway import ADD
from ..services.records import PushContact
from .common import german
from .common_sandbox import MailjetSandboxCase

DAY = 24 * 3600


@tagged("post_install", "-at_install", "ems_mailjet")
class TestConsent(MailjetSandboxCase):
    def setUp(self):
        super().setUp()
        self.participant(email="seed@example.com")
        self.sync()
        self.list_id = int(self.campaign.mailjet_list_id)

    def by_email(self, campaign=None):
        participants = (campaign or self.campaign).with_context(active_test=False).participant_ids
        return {p.email_normalized: p for p in participants}

    def erase(self, records):
        action = records.with_user(self.campaign_manager).action_mailjet_gdpr_erase()
        wizard = self.env[action["res_model"]].with_user(self.campaign_manager)
        wizard.browse(action["res_id"]).action_confirm()
        self.env.invalidate_all()

    def add_in_mailjet(self, email):
        """Someone adds a contact to the list in Mailjet's own screens."""
        with self.interface._gateway() as gateway:
            gateway.push(self.list_id, ADD, [PushContact(email=email)])

    def contact(self, email):
        return next((c for c in self.sandbox.state()["contacts"] if c["Email"] == email), None)

    # double opt-in -----------------------------------------------------------------
    def test_pending_signup_confirmed_a_day_later_arrives_with_its_proof(self):
        self.sandbox.signup(
            self.list_id, "dora@example.com", "Dora Doe", Confirmed=False, SignupIp="203.0.113.7"
        )
        self.sync()
        self.assertNotIn("dora@example.com", self.by_email())
        self.assertNotIn("dora@example.com", self.mailjet_list())
        self.sandbox.advance_clock(3600)
        self.sandbox.signup(self.list_id, "later@example.com", "Later")  # checkpoint moves on
        self.sync()
        self.assertIn("later@example.com", self.by_email())
        self.assertNotIn("dora@example.com", self.by_email())

        self.sandbox.advance_clock(DAY)
        self.sandbox.confirm(self.list_id, "dora@example.com", "198.51.100.9")
        self.sync()
        dora = self.by_email()["dora@example.com"]
        self.assertEqual((dora.state, dora.name), ("accepted", "Dora Doe"))
        self.assertEqual(
            (dora.consent_source, dora.signup_ip, dora.confirm_ip),
            (
                "widget",
                "203.0.113.7",
                "198.51.100.9",
            ),
        )
        self.assertGreaterEqual(
            (dora.confirmed_at - dora.signup_at).total_seconds(), DAY, "confirmed a day later"
        )
        proof = self.env["ems.campaign.participant"].search(
            [("campaign_id", "=", self.campaign.id), ("confirmed_at", "!=", False)]
        )
        self.assertIn(dora, proof)

    def test_pending_signup_never_confirmed_is_never_a_participant_nor_pushed(self):
        self.sandbox.signup(self.list_id, "ghost@example.com", Confirmed=False)
        for _run in range(2):
            self.sync()
        self.add_in_mailjet("other@example.com")  # the next run reads the list in full
        self.sync()
        self.assertIn("other@example.com", self.by_email())
        self.assertNotIn("ghost@example.com", self.by_email())
        self.assertNotIn("ghost@example.com", self.mailjet_list())

    # screen review defects ----------------------------------------------------------
    def test_signup_brings_its_name_and_fills_the_partner_contact_id(self):
        self.sandbox.signup(self.list_id, "erika@example.com", "Erika M.")
        self.sandbox.signup(self.list_id, "stranger@example.net", "Sam Stranger")
        self.sync()
        people = self.by_email()
        self.assertEqual(people["stranger@example.net"].name, "Sam Stranger")
        erika = people["erika@example.com"]
        self.assertEqual(erika.partner_id, self.partner)
        self.assertTrue(erika.mailjet_contact_id)
        self.assertEqual(self.partner.mailjet_contact_id, erika.mailjet_contact_id)

    def test_archived_participant_signing_up_again_is_the_same_person(self):
        person = self.participant(email="archived@example.com")
        self.sync()
        person.active = False
        self.sandbox.signup(self.list_id, "archived@example.com", "Archie")
        run = self.sync()
        self.assertEqual(run.errors, 0)
        count = (
            self.env["ems.campaign.participant"]
            .with_context(active_test=False)
            .search_count([("email_normalized", "=", "archived@example.com")])
        )
        self.assertEqual(count, 1)

    # proof of consent -----------------------------------------------------------------
    def test_consent_record_prints_in_english_and_german(self):
        person = self.participant(email="comeback@example.com", state="declined")
        wizard_env = self.env["ems.consent.resubscribe"].with_user(self.campaign_manager)
        with Form(wizard_env.with_context(default_participant_id=person.id)) as form:
            form.consent_note = "Phoned on 3 May: wants the newsletter again."
        form.record.action_confirm()
        self.assertEqual(person.consent_source, "manager")
        report = self.env.ref("ems_mailjet.action_report_participant_consent")
        html = report._render_qweb_html(report.report_name, person.ids)[0].decode()
        self.assertIn("Record of consent to the newsletter", html)
        self.assertIn("Phoned on 3 May", html)
        german(self.env)
        self.partner.lang = "de_DE"
        german_reader = self.participant(partner_id=self.partner.id)
        html = report._render_qweb_html(report.report_name, german_reader.ids)[0].decode()
        self.assertIn("Nachweis der Zustimmung", html)

    # erasure from the ERP -------------------------------------------------------------
    def test_erasure_of_an_address_in_three_campaigns(self):
        campaigns = self.campaign | self.env["utm.campaign"].create(
            [{"title": f"Letter {n}", "mailjet_newsletter": True} for n in (2, 3)]
        )
        campaigns.mailjet_interface_id = self.interface
        people = self.env["ems.campaign.participant"]
        for campaign in campaigns:
            people |= self.participant(campaign, email="Anna.Erased@example.com", name="Anna E")
        self.sync()
        contact_id = int(
            people[0].mailjet_contact_id or self.contact("anna.erased@example.com")["ID"]
        )
        run = self.env["ems.mailjet.sync.run"].search([], limit=1)
        line = self.env["ems.mailjet.sync.run.line"].create(
            self.env["ems.mailjet.sync.run.line"]._values(
                run, "contact_refused", {"email": "anna.erased@example.com", "detail": "x"}
            )
        )
        self.erase(people[0])

        for person in people.with_context(active_test=False):
            self.assertTrue(person.mailjet_erased)
            self.assertEqual(person.state, "declined")
            self.assertNotIn("anna", (person.email + person.name).lower())
            for message in person.message_ids:
                self.assertNotIn("anna", (message.body or "").lower())
        self.assertNotIn("anna", str(line.params).lower())
        entry = self.env["ems.mailjet.suppression"].search([])
        self.assertEqual(entry.email_hash, hashlib.sha256(b"anna.erased@example.com").hexdigest())
        erased = self.sandbox.state()["contacts"]
        contact = next(c for c in erased if c["ID"] == contact_id)
        self.assertEqual(contact["Name"], "Anonymized")
        self.assertTrue(contact["Email"].endswith("@domain.invalid"))
        with self.assertRaisesRegex(ValidationError, "erased"):
            self.participant(self.other_campaign, email="anna.erased@EXAMPLE.com")
        self.sync()
        self.sandbox.advance_clock(31 * DAY)
        self.sync()
        self.assertIsNone(self.contact("anna.erased@example.com"), "never re-created")

    def test_erasure_of_a_partner_whose_employee_uses_the_same_address(self):
        employee = self.employee_nobadge
        employee.work_email = "erika@example.com"
        from_partner = self.participant(partner_id=self.partner.id)
        from_employee = self.participant(self.other_campaign, employee_id=employee.id)
        self.sync()
        self.erase(self.partner)
        self.assertTrue(from_partner.mailjet_erased and from_employee.mailjet_erased)
        self.assertFalse(from_employee.employee_id or from_partner.partner_id)
        self.assertEqual(self.partner.email, "Erika@Example.com", "the master record is kept")
        self.assertEqual(employee.work_email, "erika@example.com")
        self.assertIn("erased", self.partner.message_ids[:1].body)
        third = self.env["utm.campaign"].create({"title": "Third"})
        with self.assertRaisesRegex(ValidationError, "erased"):
            self.participant(third, employee_id=employee.id)

    def test_erasure_while_a_sync_is_between_two_lists(self):
        second = self.env["utm.campaign"].create(
            {"title": "Autumn letter", "mailjet_newsletter": True}
        )
        second.mailjet_interface_id = self.interface
        first_person = self.participant(email="mid@example.com")
        self.participant(second, email="mid@example.com")
        self.sync()  # both lists exist now
        second_person = self.by_email(second)["mid@example.com"]
        second_person.state = "declined"  # something for the second list to push
        original = type(self.campaign)._mailjet_sync_finish
        calls = []

        def sync_then_erase(campaign, *args, **kwargs):
            result = original(campaign, *args, **kwargs)
            if not calls:
                self.env["ems.mailjet.erasure"].with_user(self.campaign_manager)._erase(
                    ["mid@example.com"]
                )
            calls.append(campaign)
            return result

        with patch.object(type(self.campaign), "_mailjet_sync_finish", sync_then_erase):
            self.sync()
        self.assertEqual(len(calls), 2)
        self.assertTrue(first_person.mailjet_erased)
        self.assertIsNone(self.contact("mid@example.com"), "the second list did not re-add it")
        for campaign in (self.campaign, second):
            self.assertNotIn("mid@example.com", self.mailjet_list(campaign))

    def test_only_the_consent_wizard_lifts_the_block_of_an_erased_address(self):
        person = self.participant(email="back@example.com", name="Bea Back")
        self.sync()
        self.erase(person)
        wizard_env = self.env["ems.consent.resubscribe"].with_user(self.campaign_manager)
        with Form(wizard_env.with_context(default_participant_id=person.id)) as form:
            form.consent_note = "Wrote on 4 May: please send the newsletter again."
            form.erased_email = "someone.else@example.com"
        with self.assertRaises(UserError):
            form.record.action_confirm()
        form.record.erased_email = "Back@Example.com"
        form.record.action_confirm()
        self.env.invalidate_all()
        self.assertEqual(
            (person.state, person.email, person.mailjet_erased),
            (
                "accepted",
                "back@example.com",
                False,
            ),
        )
        self.assertEqual(person.consent_source, "manager")
        self.assertFalse(self.env["ems.mailjet.suppression"].search([]))
        self.assertFalse(self.mailjet_list()["back@example.com"]["IsUnsubscribed"])
        self.sync()
        self.assertEqual(person.state, "accepted")

    def test_only_campaign_managers_erase(self):
        person = self.participant(email="keep@example.com")
        with self.assertRaises(AccessError):
            person.with_user(self.campaign_user).action_mailjet_gdpr_erase()

    # erasure in Mailjet ---------------------------------------------------------------
    def test_contact_erased_in_mailjet_is_declined_and_blocked(self):
        person = self.participant(email="gdpr@example.com", name="Gina")
        self.sync()
        self.sandbox.gdpr_delete("gdpr@example.com")
        self.add_in_mailjet("other@example.com")  # the next run reads the list in full
        run = self.sync()
        self.assertNotIn("signup_invalid_address", run.line_ids.mapped("code"))
        self.assertIn("erased_in_mailjet", run.line_ids.mapped("code"))
        self.assertNotIn("gdpr@", str(run.line_ids.mapped("params")))
        self.assertEqual(person.state, "declined")
        self.assertIn("erased in Mailjet", person.message_ids[:1].body)
        self.assertTrue(
            self.env["ems.mailjet.suppression"].search(
                [("email_hash", "=", hashlib.sha256(b"gdpr@example.com").hexdigest())]
            )
        )
        self.sandbox.advance_clock(31 * DAY)  # Mailjet purges the anonymised contact
        self.sync()
        self.sync()
        self.assertIsNone(self.contact("gdpr@example.com"), "never re-created")
        with self.assertRaisesRegex(ValidationError, "erased"):
            self.participant(self.other_campaign, email="gdpr@example.com")

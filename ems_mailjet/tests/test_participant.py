from psycopg2 import IntegrityError

from odoo.exceptions import UserError, ValidationError
from odoo.modules.migration import load_script
from odoo.tests import Form, tagged
from odoo.tools import email_normalize, mute_logger

from ..services.emails import EMAIL_PROBLEMS, unicode_domain_spelling
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

    def test_R11_stored_address_in_odoo_spelling_is_the_contacts_address(self):
        """Odoo keeps a contact's domain in Unicode; the participant stores it in IDNA 2008
        ASCII. unicode_domain_spelling turns one into the other for matching."""
        for typed in ("Info@Straße.de", "Kasse@Fußball.DE", "Anna@Bücher.de"):
            with self.subTest(typed=typed):
                stored = self.participant(email=typed).email_normalized
                self.assertTrue(stored.isascii())
                self.assertEqual(unicode_domain_spelling(stored), email_normalize(typed))

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


MIGRATION = "ems_mailjet/migrations/18.0.1.1.0/post-migrate.py"
MIGRATION_MODULE = "ems_mailjet_migration_18_0_1_1_0"


@tagged("post_install", "-at_install")
class TestIdna2008Migration(EmsMailjetCase):
    """18.0.1.1.0: addresses stored with IDNA 2003 (ß became ss) are normalised again."""

    def setUp(self):
        super().setUp()
        self.migration = load_script(MIGRATION, MIGRATION_MODULE)

    def stored_the_old_way(self, email, old, synced_state=None, contact_id=None):
        """A participant as 18.0.1.0.0 wrote it: its normalised address in IDNA 2003."""
        person = self.participant(email=email)
        self.env.flush_all()
        self.env.cr.execute(
            """UPDATE ems_campaign_participant
                  SET email_normalized = %s, mailjet_synced_state = %s, mailjet_contact_id = %s
                WHERE id = %s""",
            [old, synced_state, contact_id, person.id],
        )
        self.env.invalidate_all()
        return person

    def old_spelling_record(self, old):
        return (
            self.env["ems.campaign.participant"]
            .with_context(active_test=False)
            .search([("campaign_id", "=", self.campaign.id), ("email_normalized", "=", old)])
        )

    def test_migration_gives_sharp_s_domains_their_own_address(self):
        strasse = self.stored_the_old_way("Info@Straße.de", "info@strasse.de")
        books = self.participant(email="anna@bücher.de")
        plain = self.participant(email="plain@example.com")

        changed = self.migration.renormalise_participants(self.env)

        self.assertEqual(changed, strasse)
        self.assertEqual(strasse.email_normalized, "info@xn--strae-oqa.de")
        self.assertEqual(strasse.email, "Info@Straße.de", "what the user typed is kept")
        self.assertEqual(books.email_normalized, "anna@xn--bcher-kva.de")
        self.assertEqual(plain.email_normalized, "plain@example.com")
        self.assertFalse(self.old_spelling_record("info@strasse.de"), "Mailjet never had it")
        self.assertFalse(self.migration.renormalise_participants(self.env), "runs once")

    def test_migration_unsubscribes_the_old_spelling_mailjet_has(self):
        football = self.stored_the_old_way(
            "kasse@fußball.de", "kasse@fussball.de", synced_state="accepted", contact_id="4711"
        )

        self.migration.renormalise_participants(self.env)

        self.assertEqual(football.email_normalized, "kasse@xn--fuball-cta.de")
        self.assertFalse(football.mailjet_synced_state, "pushed under its right address")
        self.assertFalse(football.mailjet_contact_id)
        old = self.old_spelling_record("kasse@fussball.de")
        self.assertEqual(len(old), 1)
        self.assertEqual(
            (old.state, old.active, old.mailjet_synced_state, old.mailjet_contact_id),
            ("declined", False, "accepted", "4711"),
            "the next sync unsubscribes the wrong address in Mailjet",
        )

    def test_migration_leaves_a_clash_for_a_person_to_merge(self):
        strasse = self.stored_the_old_way("info@straße.de", "info@strasse.de")
        self.participant(email="INFO@xn--strae-oqa.de")

        with self.assertLogs(MIGRATION_MODULE, "WARNING") as logged:
            changed = self.migration.renormalise_participants(self.env)

        self.assertFalse(changed)
        self.assertEqual(strasse.email_normalized, "info@strasse.de")
        self.assertIn("merge the two", logged.output[0])

    def test_migration_runs_only_on_an_update(self):
        strasse = self.stored_the_old_way("info@straße.de", "info@strasse.de")
        self.migration.migrate(self.env.cr, None)
        self.assertEqual(strasse.email_normalized, "info@strasse.de", "a new install")
        self.migration.migrate(self.env.cr, "18.0.1.0.0")
        strasse.invalidate_recordset()
        self.assertEqual(strasse.email_normalized, "info@xn--strae-oqa.de")

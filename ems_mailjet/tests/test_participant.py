from odoo.exceptions import UserError, ValidationError
from odoo.modules.migration import load_script
from odoo.tests import Form, tagged
from odoo.tools import email_normalize

from ..services.emails import EMAIL_PROBLEMS, unicode_domain_spelling
from .common import EmsMailjetCase, german


@tagged("post_install", "-at_install", "ems_mailjet")
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
        with self.assertRaises(ValidationError) as caught:
            self.participant(email="  JANE@Example.com ")
        self.assertIn("JANE@Example.com", str(caught.exception), "the error names the address")
        self.assertIn("Spring newsletter", str(caught.exception))

    def test_archived_participant_still_blocks_a_duplicate(self):
        first = self.participant(email="jane@example.com", state="declined")
        first.active = False
        with self.assertRaises(ValidationError) as caught:
            self.participant(email="Jane@example.com")
        self.assertIn("archived", str(caught.exception))

    def test_duplicate_among_several_new_lines_is_named(self):
        people = self.env["ems.campaign.participant"]
        with self.assertRaises(ValidationError) as caught:
            people.create(
                [
                    {"campaign_id": self.campaign.id, "email": "one@example.com"},
                    {"campaign_id": self.campaign.id, "email": "two@example.com"},
                    {"campaign_id": self.campaign.id, "email": "Two@Example.com"},
                ]
            )
        self.assertIn("Two@Example.com", str(caught.exception))
        self.assertFalse(people.search([("email_normalized", "=", "one@example.com")]))

    def test_duplicate_of_a_partner_address_is_named(self):
        self.participant(email="erika@example.com")
        with self.assertRaises(ValidationError) as caught:
            self.participant(partner_id=self.partner.id)
        self.assertIn("Erika@Example.com", str(caught.exception))

    def test_changing_an_address_to_a_taken_one_is_refused_by_name(self):
        self.participant(email="taken@example.com")
        other = self.participant(email="free@example.com")
        with self.assertRaises(ValidationError) as caught:
            other.email = "Taken@example.com"
        self.assertIn("Taken@example.com", str(caught.exception))

    def test_address_only_participant_is_named_by_its_address(self):
        bare = self.participant(email=" reader@example.org ")
        self.assertEqual(bare.name, "reader@example.org")
        self.assertEqual(bare.display_name, "reader@example.org")
        bare.email = "reader@example.net"
        self.assertEqual(bare.name, "reader@example.net", "the name follows the address")
        named = self.participant(email="jane@example.com", name="Jane Doe")
        named.email = "jane.doe@example.com"
        self.assertEqual(named.name, "Jane Doe", "a real name stays")

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
        german(self.env)
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

    # Decline by hand ---------------------------------------------------------
    def test_R9_campaign_user_declines_a_participant_by_hand(self):
        person = self.participant(email="caller@example.com")
        person.mailjet_synced_state = "accepted"
        as_user = person.with_user(self.campaign_user).with_context(tracking_disable=False)
        as_user.action_decline()
        self.assertEqual(person.state, "declined")
        self.assertTrue(person.declined_at)
        bodies = person.message_ids.mapped("body")
        self.assertTrue(
            any("Declined by Campaign User" in (body or "") for body in bodies),
            "the history names who declined",
        )
        self.assertEqual(person.mailjet_synced_state, "accepted", "the next sync sends unsub")

    def test_user_without_an_email_address_can_decline_and_resubscribe(self):
        self.campaign.mailjet_newsletter = False
        person = self.participant(email="caller@example.com")
        for user in (self.campaign_user, self.campaign_manager):
            user.partner_id.email = False
        person.with_user(self.campaign_user).action_decline()
        self.assertEqual(person.state, "declined")
        wizard = (
            self.env["ems.consent.resubscribe"]
            .with_user(self.campaign_manager)
            .create({"participant_id": person.id, "consent_note": "phone call"})
        )
        wizard.action_confirm()
        self.assertEqual(person.state, "accepted")

    def test_decline_several_participants_keeps_earlier_dates(self):
        old = self.participant(email="old@example.com", state="declined")
        first_date = old.declined_at
        new = self.participant(email="new@example.com")
        (old | new).with_user(self.campaign_user).action_decline()
        self.assertEqual(new.state, "declined")
        self.assertEqual(old.declined_at, first_date, "an earlier decline keeps its date")
        with self.assertRaises(UserError):
            old.with_user(self.campaign_user).action_decline()

    def test_R8_declined_on_cannot_be_changed_by_hand(self):
        person = self.participant(email="jane@example.com", state="declined")
        stamped = person.declined_at
        for user in (self.campaign_user, self.campaign_manager, self.env.ref("base.user_admin")):
            with self.subTest(user=user.login), self.assertRaises(UserError):
                person.with_user(user).write({"declined_at": "2020-01-01 00:00:00"})
            with self.subTest(user=user.login), self.assertRaises(UserError):
                person.with_user(user).write(
                    {"state": "declined", "declined_at": "2020-01-01 00:00:00"}
                )
        with self.assertRaises(UserError):
            self.env["ems.campaign.participant"].with_user(self.campaign_user).create(
                {
                    "campaign_id": self.campaign.id,
                    "email": "back@example.com",
                    "state": "declined",
                    "declined_at": "2020-01-01 00:00:00",
                }
            )
        self.assertEqual(person.declined_at, stamped)
        fields = self.env["ems.campaign.participant"].fields_get(["declined_at"], ["readonly"])
        self.assertTrue(fields["declined_at"]["readonly"])

    def test_participant_list_opens_the_form_and_offers_decline(self):
        participants = self.env["ems.campaign.participant"].with_user(self.campaign_user)
        views = participants.get_views([(False, "list"), (False, "form")])["views"]
        self.assertIn('open_form_view="1"', views["list"]["arch"])
        self.assertIn('name="action_decline"', views["list"]["arch"])
        self.assertIn('name="action_decline"', views["form"]["arch"])
        self.assertNotIn('invisible="1"', views["list"]["arch"] + views["form"]["arch"])
        campaign_form = (
            self.env["utm.campaign"]
            .with_user(self.campaign_user)
            .get_views([(False, "form")])["views"]["form"]["arch"]
        )
        self.assertIn("action_decline", campaign_form, "the campaign tab reuses the list")
        self.assertIn('open_form_view="1"', campaign_form)

    def test_D5_resubscribe_is_in_the_list_actions_for_managers_only(self):
        action = self.env.ref("ems_mailjet.action_ems_consent_resubscribe")
        self.assertIn("list", action.binding_view_types)
        bindings = self.env["ir.actions.actions"]
        for user, offered in ((self.campaign_manager, True), (self.campaign_user, False)):
            found = bindings.with_user(user).get_bindings("ems.campaign.participant")
            with self.subTest(user=user.login):
                ids = [a["id"] for a in found.get("action", [])]
                self.assertEqual(action.id in ids, offered)

    def test_D5_resubscribe_from_the_list_needs_one_declined_participant(self):
        declined = self.participant(email="gone@example.com", state="declined")
        accepted = self.participant(email="here@example.com")
        wizard = self.env["ems.consent.resubscribe"].with_user(self.campaign_manager)
        ctx = {"active_model": "ems.campaign.participant"}
        values = wizard.with_context(
            ctx, active_id=declined.id, active_ids=declined.ids
        ).default_get(["participant_id"])
        self.assertEqual(values["participant_id"], declined.id)
        with self.assertRaises(UserError):
            wizard.with_context(ctx, active_id=accepted.id, active_ids=accepted.ids).default_get(
                ["participant_id"]
            )
        with self.assertRaises(UserError):
            wizard.with_context(
                ctx, active_id=declined.id, active_ids=(declined | accepted).ids
            ).default_get(["participant_id"])

    def test_D5_resubscribe_says_it_worked_with_a_localised_date(self):
        self.env["res.lang"]._activate_lang("de_DE")
        self.campaign_manager.lang = "de_DE"
        self.campaign.mailjet_newsletter = False  # not in Mailjet: the ERP side only
        person = self.participant(email="back@example.com", state="declined")
        wizard = (
            self.env["ems.consent.resubscribe"]
            .with_user(self.campaign_manager)
            .with_context(lang="de_DE")
            .create(
                {
                    "participant_id": person.id,
                    "consent_note": "Anruf vom Kunden",
                    "consent_date": "2026-11-28",
                }
            )
        )
        result = wizard.action_confirm()
        self.assertEqual(result["tag"], "display_notification")
        self.assertEqual(result["params"]["type"], "success")
        self.assertEqual(person.state, "accepted")
        body = person.message_ids[:1].body
        self.assertIn("28.11.2026", body)
        self.assertNotIn("2026-11-28", body)

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


@tagged("post_install", "-at_install", "ems_mailjet")
class TestParticipantTable(EmsMailjetCase):
    def _fillfactor(self):
        self.env.cr.execute(
            "SELECT reloptions FROM pg_class WHERE oid = 'ems_campaign_participant'::regclass"
        )
        return self.env.cr.fetchone()[0]

    def test_rows_leave_room_to_be_rewritten_in_place_by_the_nightly_sync(self):
        """Half of each page stays free, so the sync's writes of thousands of rows are
        in-place (HOT) updates instead of new entries in every index; set again when the
        module is updated (an admin's own setting is replaced, not duplicated)."""
        self.assertEqual(self._fillfactor(), ["fillfactor=50"])
        self.env.cr.execute("ALTER TABLE ems_campaign_participant SET (fillfactor = 90)")
        self.env["ems.campaign.participant"].init()
        self.assertEqual(self._fillfactor(), ["fillfactor=50"])


MIGRATION = "ems_mailjet/migrations/18.0.1.1.0/post-migrate.py"
MIGRATION_MODULE = "ems_mailjet_migration_18_0_1_1_0"


@tagged("post_install", "-at_install", "ems_mailjet")
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

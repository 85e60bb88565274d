from odoo.tests import tagged

from .common import EmsMailjetCase, german


@tagged("post_install", "-at_install", "ems_mailjet")
class TestGerman(EmsMailjetCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.env_de = german(cls.env)

    def test_D9_german_field_labels(self):
        interface = self.env_de["ems.interface"].fields_get(
            ["api_key", "api_secret", "interface_type"], ["string", "selection"]
        )
        self.assertEqual(interface["api_key"]["string"], "API-Schlüssel")
        self.assertEqual(interface["api_secret"]["string"], "API-Passwort")
        self.assertIn(
            ("mailjet", "Mailjet – E-Mail-Marketing Plattform"),
            [tuple(option) for option in interface["interface_type"]["selection"]],
        )

    def test_D9_german_participant_states(self):
        fields = self.env_de["ems.campaign.participant"].fields_get(["state"], ["selection"])
        self.assertEqual(
            dict(fields["state"]["selection"]), {"accepted": "Zugesagt", "declined": "Abgesagt"}
        )

    def test_D9_german_newsletter_tick_and_menu(self):
        fields = self.env_de["utm.campaign"].fields_get(["mailjet_newsletter"], ["string"])
        self.assertEqual(fields["mailjet_newsletter"]["string"], "Newsletter (E-Mail-Marketing)")
        menu = self.env.ref("ems_mailjet.menu_ems_campaign_participant").with_context(lang="de_DE")
        self.assertEqual(menu.name, "Teilnehmer")

    def test_D9_german_error_message(self):
        from odoo.exceptions import ValidationError

        with self.assertRaises(ValidationError) as caught:
            self.env_de["ems.campaign.participant"].create(
                {"campaign_id": self.campaign.id, "email": "kein-at.example.com"}
            )
        self.assertIn("kein „@“", str(caught.exception))

    def test_D9_every_string_has_a_german_translation(self):
        """The shipped de.po leaves no entry of the module untranslated."""
        import polib

        from odoo.tools.misc import file_path

        catalog = polib.pofile(file_path("ems_mailjet/i18n/de.po"))
        untranslated = [entry.msgid for entry in catalog if not entry.msgstr and not entry.obsolete]
        self.assertEqual(untranslated, [])
        self.assertGreater(len(catalog), 100)

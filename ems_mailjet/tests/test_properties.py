import mailjet_rest

from odoo.tests import tagged

from .common_sandbox import KEY, MailjetSandboxCase

PUSH = "POST contactslist/managemanycontacts"


@tagged("post_install", "-at_install")
class TestContactProperties(MailjetSandboxCase):
    def setUp(self):
        super().setUp()
        self.sandbox.config(strict_properties=True)  # Mailjet refuses undefined properties
        company = self.env["res.partner"].create({"name": "Muster GmbH", "is_company": True})
        self.partner.write({"parent_id": company.id, "lang": "en_US"})
        self.mj = mailjet_rest.Client(auth=(KEY, self.SECRET), api_url=self.sandbox.url)

    def contactdata(self, email):
        contact = self.mj.contact.get(id=email).json()["Data"][0]
        rows = self.mj.contactdata.get(id=contact["ID"]).json()["Data"][0]["Data"]
        return {row["Name"]: row["Value"] for row in rows}

    def test_pushed_partner_properties_are_readable_in_mailjet(self):
        self.participant(partner_id=self.partner.id)
        self.sync()
        data = self.contactdata("erika@example.com")
        self.assertEqual(data["firstname"], "Erika")
        self.assertEqual(data["lastname"], "Mustermann")
        self.assertEqual(data["company"], "Muster GmbH")
        self.assertEqual(data["customer_number"], "K-1001")
        self.assertEqual(data["language"], "en_US")
        definitions = {
            row["Name"]: row["Datatype"]
            for row in self.mj.contactmetadata.get(filters={"Limit": 100}).json()["Data"]
        }
        self.assertEqual(
            definitions,
            dict.fromkeys(
                ["firstname", "lastname", "company", "language", "customer_number"], "str"
            ),
        )

    def test_renamed_partner_reaches_mailjet_and_a_no_change_run_pushes_nothing(self):
        self.participant(partner_id=self.partner.id)
        self.participant(email="reader@example.org")
        self.sync()
        pushes = self.calls(PUSH)
        before = self.calls()
        self.sync()
        self.assertEqual(self.calls(PUSH), pushes, "no change, no push")
        with_properties = self.calls() - before
        # The same no-change run without contact properties costs exactly as much.
        self.interface.property_ids.unlink()
        before = self.calls()
        self.sync()
        self.assertEqual(self.calls() - before, with_properties, "properties cost no call")
        self.interface._add_default_properties()
        self.sync()
        self.assertEqual(self.calls(PUSH), pushes, "the same values are not pushed again")
        self.partner.name = "Erika Musterfrau"
        self.sync()
        self.assertEqual(self.calls(PUSH), pushes + 1)
        self.assertEqual(self.contactdata("erika@example.com")["lastname"], "Musterfrau")
        before = self.calls()
        self.sync()
        self.assertEqual(self.calls(PUSH), pushes + 1, "no change, no push")
        self.assertEqual(self.calls() - before, with_properties, "and quiet again")
        self.assertEqual(self.contactdata("reader@example.org")["firstname"], "")

    def test_typed_property_is_defined_with_its_type(self):
        self.interface.property_ids = [
            (0, 0, {"name": "partner_no", "datatype": "int", "source": "number"})
        ]
        self.participant(partner_id=self.partner_noref.id)
        self.sync()
        definitions = {
            row["Name"]: row["Datatype"]
            for row in self.mj.contactmetadata.get(filters={"Limit": 100}).json()["Data"]
        }
        self.assertEqual(definitions["partner_no"], "int")
        # contactdata shows every value as text
        self.assertEqual(
            self.contactdata("otto@example.com")["partner_no"], str(self.partner_noref.id)
        )
        self.assertEqual(self.campaign.participant_ids.mailjet_synced_state, "accepted")

    def _row_versions(self, participants):
        """Each participant's row version: an UPDATE of the row changes it."""
        self.env.flush_all()
        self.env.cr.execute(
            "SELECT id, ctid::text FROM ems_campaign_participant WHERE id = ANY(%s)",
            [participants.ids],
        )
        return dict(self.env.cr.fetchall())

    def test_values_found_unchanged_are_stamped_without_rewriting_the_other_participants(self):
        checked = self.participant(partner_id=self.partner.id)
        others = self.participant(email="reader@example.org") | self.participant(
            partner_id=self.partner_noref.id
        )
        self.sync()
        before = self.calls()
        self.sync()
        quiet = self.calls() - before
        stamped = {p: p.mailjet_properties_at for p in others}
        self.assertTrue(all(stamped.values()))
        # an edit that changes none of the values still asks for a check
        self.partner.write({"lang": self.partner.lang})
        self.assertFalse(checked.mailjet_properties_at)
        versions = self._row_versions(others)
        pushes = self.calls(PUSH)
        self.sync()
        self.assertEqual(self.calls(PUSH), pushes, "the values are unchanged: no push")
        self.assertTrue(checked.mailjet_properties_at, "stamped again: the next night is quiet")
        self.assertEqual(self._row_versions(others), versions, "the others are not rewritten")
        self.assertEqual({p: p.mailjet_properties_at for p in others}, stamped)
        before = self.calls()
        self.sync()
        self.assertEqual(self.calls() - before, quiet, "quiet again")
        self.assertEqual(self._row_versions(others), versions)

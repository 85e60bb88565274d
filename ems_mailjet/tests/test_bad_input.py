"""Bad input (issue 3): what a real address base holds, row by row.

Every row ends in a clear error or in the right normalisation, and nothing else is lost.
The behaviour chosen for each kind of input:

* E-mail addresses are validated by ``services/emails.validate_email`` when a participant
  is saved; a refused address raises a ``ValidationError`` that names the address and the
  problem, and the participant is not saved. Accepted addresses are kept as typed in
  ``email``; ``email_normalized`` (trimmed, lower case, IDN domain in punycode) is the key
  for duplicates and matching and the address sent to Mailjet.
* Refused on purpose: display forms (``Anna <anna@x.de>``) and quoted local parts (the
  participant's address is what Mailjet gets, it must be one bare address), Unicode local
  parts (Mailjet has no SMTPUTF8), IP literals, invisible characters, domains that cannot
  exist (label over 63 characters, numeric or one-letter top-level domain).
* Kept as their own addresses: ``+tag`` sub-addresses, apostrophes and other RFC 5322
  characters of the local part.
* Duplicates within a campaign (case, blanks, IDN spelled in Unicode or punycode) are
  refused by the ``email_campaign_uniq`` constraint with its own message; Mailjet signups
  of an address the campaign has in another spelling do not create a second participant.
* No e-mail at all (a partner or an employee without one): the database refuses the
  missing mandatory field and the user is told which field (``E-mail``).
* Names are text: HTML is stored and sent to Mailjet as typed (Char field, shown escaped);
  names starting like a spreadsheet formula (``=``, ``+``, ``-``, ``@``, tab, CR) are
  stored as typed and exported with a leading apostrophe, so neither CSV nor XLSX
  exports run them (Odoo's own CSV export guards only ``=``, ``+`` and ``-`` and its XLSX
  export would write ``=…`` as a live formula).
* Campaign titles become Mailjet list names as typed (trimmed); a long title is sent as
  is and, if Mailjet refuses it, the run log says so and the other lists still sync; two
  campaigns whose titles differ only in case or blanks cannot share one list: the second
  one is reported ("Another campaign already uses the list name …") and waits, untouched.
"""

import csv
import io
import re
import zipfile
from types import SimpleNamespace
from unittest.mock import patch

import mailjet_rest

from odoo.exceptions import ValidationError
from odoo.modules.migration import load_script
from odoo.tests import tagged
from odoo.tools import mute_logger

from odoo.addons.web.controllers.export import CSVExport, ExcelExport

from .common import german
from .common_sandbox import KEY, MailjetSandboxCase

MUTED = (
    "odoo.addons.ems_mailjet.services.gateway",
    "odoo.addons.ems_mailjet.services.sync",
    "odoo.addons.ems_mailjet.models.ems_interface",
    "odoo.addons.ems_mailjet.models.ems_mailjet_sync_run",
    "mailjet_rest.client",
)

LONG_254 = "a" * 64 + "@" + ".".join(["b" * 63, "c" * 63, "d" * 58]) + ".de"
LONG_255 = "a" * 64 + "@" + ".".join(["b" * 63, "c" * 63, "d" * 59]) + ".de"

# (row, address as typed, what the error says)
REFUSED = (
    ("empty", "", "The e-mail address is empty."),
    ("blank", "    ", "The e-mail address is empty."),
    ("only tab and newline", "\t\n", "The e-mail address is empty."),
    ("without @", "anna.example.com", "has no '@'"),
    ("two @ in a row", "anna@@example.com", "contains more than one '@'"),
    ("two @ apart", "anna@muster@example.com", "contains more than one '@'"),
    ("nothing before @", "@example.com", "has nothing before the '@'"),
    ("nothing after @", "anna@", "has nothing after the '@'"),
    ("trailing dot", "anna@example.com.", "must not start or end with a dot"),
    ("dot before @", "anna.@example.com", "must not start or end with a dot"),
    ("leading dot", ".anna@example.com", "must not start or end with a dot"),
    ("two dots", "anna@example..com", "two dots in a row"),
    ("over 254 characters", LONG_255, "is longer than 254 characters"),
    ("local part over 64", "a" * 65 + "@example.com", "longer than 64 characters"),
    ("domain without dot", "anna@localhost", "has no dot"),
    ("space inside", "anna muster@example.com", "must not contain spaces"),
    ("tab inside", "anna\t@example.com", "must not contain spaces"),
    ("newline inside", "anna@exa\nmple.com", "must not contain spaces"),
    ("no-break space", "anna\xa0@example.com", "must not contain spaces"),
    ("zero-width space", "anna\u200b@example.com", "contains characters that are not allowed"),
    ("full-width @", "anna\uff20example.com", "has no '@'"),
    ("umlaut before @ (SMTPUTF8 is not sent)", "jürgen@example.de", "outside the basic Latin"),
    ("sharp s before @", "straße@example.de", "outside the basic Latin"),
    ("quoted local part", '"anna"@example.com', "contains characters that are not allowed"),
    ("quoted with space", '"anna muster"@example.com', "must not contain spaces"),
    ("display form", "Anna Muster <anna@example.com>", "must not contain spaces"),
    ("angle brackets", "<anna@example.com>", "contains characters that are not allowed"),
    ("two addresses, comma", "anna@example.com, bob@example.com", "must not contain spaces"),
    ("two addresses, semicolon", "anna@example.com;bob@example.com", "contains more than one '@'"),
    ("mailto: link", "mailto:anna@example.com", "contains characters that are not allowed"),
    ("IP literal", "anna@[192.168.0.1]", "contains characters that are not allowed"),
    ("bare IP address", "anna@192.168.0.1", "is not a valid domain name"),
    ("domain starts with hyphen", "anna@-example.com", "contains characters that are not allowed"),
    ("underscore in domain", "anna@exam_ple.com", "contains characters that are not allowed"),
    ("domain label over 63", "anna@" + "b" * 64 + ".com", "is not a valid domain name"),
    ("one-letter top-level domain", "anna@example.c", "is not a valid domain name"),
    ("reserved domain .local", "anna@drucker.local", "is reserved for special use"),
    ("reserved domain .invalid", "anna@example.invalid", "is reserved for special use"),
    ("emoji domain (IDNA 2003 only)", "anna@\u2603.de", "contains characters that are not allowed"),
    (
        "IDN domain that cannot be encoded",
        "anna@b\u00fccher" + "x" * 60 + ".de",
        "is not a valid domain name",
    ),
)

# (row, address as typed, email_normalized and the address Mailjet gets)
NORMALISED = (
    ("blanks around", "  Anna@Example.COM  ", "anna@example.com"),
    ("tab and newline around", "\tAnna@Example.com\n", "anna@example.com"),
    ("upper case", "ANNA.MUSTER@EXAMPLE.DE", "anna.muster@example.de"),
    ("IDN domain", "Anna@Bücher.de", "anna@xn--bcher-kva.de"),
    ("IDN domain in upper case", "ANNA@BÜCHER.DE", "anna@xn--bcher-kva.de"),
    ("IDN domain already in punycode", "anna@xn--bcher-kva.de", "anna@xn--bcher-kva.de"),
    ("IDNA 2008 keeps ß", "Info@Straße.de", "info@xn--strae-oqa.de"),
    ("ß domain, not ss", "kasse@fußball.de", "kasse@xn--fuball-cta.de"),
    ("+tag sub-address", "Anna+News@example.com", "anna+news@example.com"),
    ("apostrophe", "O'Brien@example.ie", "o'brien@example.ie"),
    (
        "RFC 5322 characters",
        "a=b!c#d$e%f&g*h/i?j^k_l`m{n|o}p~q@example.com",
        "a=b!c#d$e%f&g*h/i?j^k_l`m{n|o}p~q@example.com",
    ),
    ("exactly 254 characters", LONG_254, LONG_254),
    ("local part of exactly 64", "a" * 64 + "@example.com", "a" * 64 + "@example.com"),
)

# (row, first address, second address in the same campaign)
DUPLICATES = (
    ("same address", "anna@example.com", "anna@example.com"),
    ("upper/lower case", "anna@example.com", "ANNA@Example.COM"),
    ("blanks", "anna@example.com", "  anna@example.com\t"),
    ("IDN Unicode vs punycode", "anna@bücher.de", "Anna@XN--BCHER-KVA.DE"),
    ("IDN upper vs lower case", "anna@bücher.de", "ANNA@BÜCHER.DE"),
    ("ß domain Unicode vs punycode", "info@straße.de", "INFO@xn--strae-oqa.de"),
)

FORMULA_NAMES = (
    ("equals", '=HYPERLINK("http://evil.example","Click")'),
    ("plus", "+49 30 1234567"),
    ("minus", "-2+3+cmd|' /C calc'!A0"),
    ("at", "@SUM(1+1)*cmd|' /C calc'!A0"),
    ("tab", "\t=1+1"),
    ("carriage return", "\r=1+1"),
)


@tagged("post_install", "-at_install", "ems_mailjet")
class TestBadInput(MailjetSandboxCase):
    def setUp(self):
        super().setUp()
        self.keep = self.participant(email="keep@example.com", name="Keep Me")
        self.keep_declined = self.participant(email="declined@example.com", state="declined")

    # ------------------------------------------------------------------ helpers
    def everything(self):
        """All participants, to show that a refused row lost nothing else."""
        self.env.invalidate_all()
        people = self.env["ems.campaign.participant"].with_context(active_test=False).search([])
        return sorted((p.id, p.campaign_id.id, p.email, p.name or "", p.state) for p in people)

    def assert_refused(self, email, fragment, **values):
        before = self.everything()
        with self.assertRaises(ValidationError) as caught, self.cr.savepoint():
            self.participant(email=email, **values)
        message = str(caught.exception)
        self.assertIn(fragment, message)
        if email.strip():
            self.assertIn(email.strip(), message, "the message names the address")
        self.assertEqual(self.everything(), before, "nothing else lost")
        return message

    def assert_duplicate(self, **values):
        """Refused before the insert (no database error in the log), naming the address."""
        before = self.everything()
        with self.assertRaises(ValidationError) as caught, self.cr.savepoint():
            self.participant(**values)
            self.env.flush_all()
        shown = str(caught.exception)
        self.assertIn("is already a participant of the campaign", shown)
        email = (
            values.get("email") or self.env["res.partner"].browse(values.get("partner_id")).email
        )
        self.assertIn(email.strip(), shown, "the message names the address")
        self.assertEqual(self.everything(), before, "nothing else lost")

    def new_campaign(self, title, newsletter=False):
        return self.env["utm.campaign"].create(
            {
                "title": title,
                "mailjet_newsletter": newsletter,
                "mailjet_interface_id": self.interface.id if newsletter else False,
            }
        )

    def mailjet_client(self):
        return mailjet_rest.Client(auth=(KEY, self.SECRET), api_url=self.sandbox.url, timeout=5)

    def contacts_in_mailjet(self):
        return {c["Email"]: c for c in self.sandbox.state()["contacts"]}

    # ------------------------------------------------------------------ e-mail addresses
    def test_bad_input_refused_addresses(self):
        for row, email, fragment in REFUSED:
            with self.subTest(row=row, email=email):
                self.assert_refused(email, fragment)

    def test_bad_input_refused_when_changed_later(self):
        for row, email, fragment in REFUSED[:6]:
            with (
                self.subTest(row=row),
                self.assertRaises(ValidationError) as caught,
                self.cr.savepoint(),
            ):
                self.keep.email = email
            self.assertIn(fragment, str(caught.exception))
            self.keep.invalidate_recordset()
            self.assertEqual(self.keep.email, "keep@example.com")

    def test_bad_input_refused_addresses_in_german(self):
        german_env = german(self.env)
        with self.assertRaises(ValidationError) as caught, self.cr.savepoint():
            german_env["ems.campaign.participant"].create(
                {"campaign_id": self.campaign.id, "email": "anna@" + "b" * 64 + ".com"}
            )
        self.assertIn("ist kein gültiger Domainname", str(caught.exception))

    def test_bad_input_normalised_addresses(self):
        for number, (row, typed, normalised) in enumerate(NORMALISED):
            with self.subTest(row=row, email=typed):
                campaign = self.new_campaign(f"Normalisation {number}")
                person = self.participant(campaign=campaign, email=typed)
                self.assertEqual(person.email, typed, "kept as typed")
                self.assertEqual(person.email_normalized, normalised)
                self.assertEqual(person.state, "accepted")

    def test_bad_input_normalised_addresses_reach_mailjet_normalised(self):
        added = set()
        for _row, typed, normalised in NORMALISED:
            if normalised not in added:  # one campaign holds each mailbox once
                self.participant(email=typed)
                added.add(normalised)
        run = self.sync()
        self.assertEqual(run.state, "done", run.log)
        members = self.mailjet_list()
        self.assertEqual(set(members), added | {"keep@example.com", "declined@example.com"})
        people = self.campaign.participant_ids
        self.assertEqual(set(people.mapped("mailjet_synced_state")), {"accepted", "declined"})

    def test_bad_input_idna_2003_address_in_mailjet_is_replaced_after_the_migration(self):
        """18.0.1.0.0 sent info@straße.de to Mailjet as info@strasse.de (a stranger's
        domain). After the migration the next sync unsubscribes the wrong address there,
        subscribes the right one, and brings the wrong one back as no new participant."""
        self.sync()
        response = self.mailjet_client().contactslist_managecontact.create(
            id=int(self.campaign.mailjet_list_id),
            data={"Email": "info@strasse.de", "Action": "addnoforce"},
        )
        self.assertEqual(response.status_code, 201)
        contact_id = str(response.json()["Data"][0]["ContactID"])
        person = self.participant(email="Info@Straße.de")
        self.env.flush_all()
        self.env.cr.execute(
            """UPDATE ems_campaign_participant
                  SET email_normalized = 'info@strasse.de', mailjet_synced_state = 'accepted',
                      mailjet_contact_id = %s
                WHERE id = %s""",
            [contact_id, person.id],
        )
        self.env.invalidate_all()
        migration = load_script(
            "ems_mailjet/migrations/18.0.1.1.0/post-migrate.py", "ems_mailjet_migration_e2e"
        )
        migration.renormalise_participants(self.env)

        run = self.sync()

        self.assertEqual(run.state, "done", run.log)
        members = self.mailjet_list()
        self.assertTrue(members["info@strasse.de"]["IsUnsubscribed"])
        self.assertFalse(members["info@xn--strae-oqa.de"]["IsUnsubscribed"])
        self.assertEqual(
            (person.email_normalized, person.state, person.mailjet_synced_state),
            ("info@xn--strae-oqa.de", "accepted", "accepted"),
        )
        active = self.campaign.participant_ids.mapped("email_normalized")
        self.assertNotIn("info@strasse.de", active)

    def test_bad_input_duplicates_in_one_campaign(self):
        for number, (row, first, second) in enumerate(DUPLICATES):
            with self.subTest(row=row):
                campaign = self.new_campaign(f"Duplicates {number}")
                self.participant(campaign=campaign, email=first)
                self.assert_duplicate(campaign_id=campaign.id, email=second)

    def test_bad_input_duplicate_of_an_archived_declined_participant(self):
        self.keep_declined.action_archive()
        self.assert_duplicate(email="DECLINED@example.com")
        self.assertEqual(self.keep_declined.state, "declined", "the unsubscribe stays")

    def test_bad_input_partner_with_the_address_of_a_bare_participant(self):
        self.participant(email="erika@example.com")
        self.assert_duplicate(partner_id=self.partner.id)  # Erika@Example.com

    def test_bad_input_sub_address_is_not_a_duplicate(self):
        plain = self.participant(email="anna@example.com")
        tagged_ = self.participant(email="anna+news@example.com")
        self.assertNotEqual(plain.email_normalized, tagged_.email_normalized)

    def test_bad_input_same_address_in_another_campaign_is_fine(self):
        other = self.participant(campaign=self.other_campaign, email="KEEP@example.com")
        self.assertEqual(other.email_normalized, self.keep.email_normalized)

    def test_bad_input_no_usable_address(self):
        partners = self.env["res.partner"]
        rows = (
            ("no e-mail given", {}, "The e-mail address is empty."),
            (
                "partner without e-mail",
                {"partner_id": partners.create({"name": "No Mail"}).id},
                "No Mail has no e-mail address",
            ),
            (
                "employee without e-mail",
                {"employee_id": self.env["hr.employee"].create({"name": "No Mail Emp"}).id},
                "No Mail Emp has no e-mail address",
            ),
            (
                "partner with a display-form address",
                {
                    "partner_id": partners.create(
                        {"name": "Disp", "email": '"Erika M" <em@x.de>'}
                    ).id
                },
                "must not contain spaces",
            ),
            (
                "partner with two addresses",
                {"partner_id": partners.create({"name": "Two", "email": "a@x.de,b@x.de"}).id},
                "contains more than one '@'",
            ),
        )
        for row, values, fragment in rows:
            with self.subTest(row=row):
                before = self.everything()
                with self.assertRaises(ValidationError) as caught, self.cr.savepoint():
                    self.participant(**values)
                self.assertIn(fragment, str(caught.exception))
                self.assertEqual(self.everything(), before)

    def test_bad_input_employee_with_private_address_only(self):
        employee = self.env["hr.employee"].create(
            {"name": "Private Only", "private_email": "Private@Example.com"}
        )
        person = self.participant(employee_id=employee.id)
        self.assertEqual(person.email_normalized, "private@example.com")

    # ------------------------------------------------------------------ names
    def test_bad_input_html_name_is_text(self):
        html = '<b>Anna</b><img src=x onerror="alert(1)"><script>alert("x")</script>'
        person = self.participant(email="html@example.com", name=html)
        self.assertEqual(person.name, html, "stored as typed, not sanitised away")
        self.assertEqual(
            self.env["ems.campaign.participant"].fields_get(["name"], ["type"])["name"]["type"],
            "char",
            "a Char: the web client shows it escaped, as text",
        )
        views = self.env["ems.campaign.participant"].get_views([(False, "list")])
        arch = views["views"]["list"]["arch"]
        name_nodes = re.findall(r'<field name="name"[^>]*>', arch)
        self.assertTrue(name_nodes)
        self.assertFalse([n for n in name_nodes if "html" in n], "no HTML widget")
        rows = self.env["ems.campaign.participant"].web_search_read(
            [("id", "=", person.id)], {"name": {}, "email": {}}
        )["records"]
        self.assertEqual(rows[0]["name"], html)
        run = self.sync()
        self.assertEqual(run.state, "done", run.log)
        self.assertEqual(self.contacts_in_mailjet()["html@example.com"]["Name"], html)

    def test_bad_input_names_with_tabs_newlines_and_unicode(self):
        for row, name in (
            ("tab and newline", "Anna\tMuster\nZweite Zeile"),
            ("emoji and RTL", "Anna 🙂 \u202eevil"),
            ("very long", "N" * 2000),
        ):
            with self.subTest(row=row):
                person = self.participant(email=f"{len(name)}.{row[:3]}@example.com", name=name)
                self.assertEqual(person.name, name)

    def test_bad_input_formula_names_are_stored_as_typed_and_exported_defused(self):
        people = self.env["ems.campaign.participant"]
        for number, (_row, name) in enumerate(FORMULA_NAMES):
            people |= self.participant(email=f"formula{number}@example.com", name=name)
        harmless = self.participant(email="harmless@example.com", name="Anna = Muster")
        self.assertEqual(people.mapped("name"), [name for _row, name in FORMULA_NAMES])
        rows = (people | harmless).export_data(["name", "email"])["datas"]
        exported = dict((email, name) for name, email in rows)
        for number, (row, name) in enumerate(FORMULA_NAMES):
            with self.subTest(row=row):
                self.assertEqual(exported[f"formula{number}@example.com"], "'" + name)
        self.assertEqual(exported["harmless@example.com"], "Anna = Muster")

        fields = [
            {"name": "name", "label": "Name", "type": "char"},
            {"name": "email", "label": "E-mail", "type": "char"},
        ]
        csv_text = CSVExport().from_data(fields, ["Name", "E-mail"], rows)
        cells = {email: name for name, email in list(csv.reader(io.StringIO(csv_text)))[1:]}
        for number, (row, name) in enumerate(FORMULA_NAMES):
            with self.subTest(row=row, export="csv"):
                self.assertEqual(
                    cells[f"formula{number}@example.com"],
                    "'" + name,
                    "one apostrophe: Odoo's CSV export does not add another",
                )
        raw = [[p.name, p.email] for p in people]
        self.assertIn("<f>", self.xlsx_sheet(fields, raw), "control: Odoo alone writes one")
        self.assertNotIn("<f>", self.xlsx_sheet(fields, rows), "no live formula in XLSX")

    def xlsx_sheet(self, fields, rows):
        """The first sheet of Odoo's XLSX export of these rows (its XML)."""
        fake_request = SimpleNamespace(env=self.env)
        with patch("odoo.addons.web.controllers.export.request", fake_request):
            xlsx = ExcelExport().from_data(fields, [f["label"] for f in fields], rows)
        with zipfile.ZipFile(io.BytesIO(xlsx)) as book:
            return book.read("xl/worksheets/sheet1.xml").decode()

    def test_bad_input_formula_name_through_a_related_export(self):
        self.participant(email="rel@example.com", name="=1+1")
        rows = self.campaign.export_data(["title", "participant_ids/name"])["datas"]
        self.assertIn("'=1+1", [row[1] for row in rows])

    def test_bad_input_names_arriving_from_mailjet(self):
        """A contact added in Mailjet (not by a widget) with a hostile name: the full read
        brings it in as a participant; the name is kept as text and exported defused."""
        self.sync()
        client = self.mailjet_client()
        list_id = int(self.campaign.mailjet_list_id)
        hostile = {
            "formula@example.net": '=HYPERLINK("http://evil.example","Click")',
            "html@example.net": "<script>alert(1)</script>",
        }
        for email, name in hostile.items():
            response = client.contactslist_managecontact.create(
                id=list_id, data={"Email": email, "Name": name, "Action": "addnoforce"}
            )
            self.assertEqual(response.status_code, 201)
        run = self.sync()
        self.assertEqual((run.state, run.new_signups), ("done", 2), run.log)
        by_email = {p.email_normalized: p for p in self.campaign.participant_ids}
        for email, name in hostile.items():
            self.assertEqual(by_email[email].name, name)
        exported = by_email["formula@example.net"].export_data(["name"])["datas"][0][0]
        self.assertEqual(exported, "'" + hostile["formula@example.net"])

    # ------------------------------------------------------------------ campaign titles
    def test_bad_input_over_long_campaign_title(self):
        title = "Very long newsletter title " + "x" * 273
        self.assertEqual(len(title), 300)
        long_one = self.new_campaign(title, newsletter=True)
        self.participant(campaign=long_one, email="long@example.com")
        run = self.sync()
        self.assertEqual(run.state, "done", run.log)
        self.assertIn(title, self.list_names(), "sent as is; this Mailjet accepts it")
        self.assertEqual(long_one.mailjet_list_name, title)
        self.assertIn("long@example.com", self.mailjet_list(long_one))

    def test_bad_input_over_long_campaign_title_refused_by_mailjet(self):
        self.sync()  # the other list exists: the refused call is the new list's creation
        title = "Very long newsletter title " + "x" * 273
        long_one = self.new_campaign(title, newsletter=True)
        waiting = self.participant(campaign=long_one, email="long@example.com")
        self.participant(email="meanwhile@example.com")
        self.sandbox.fault(status=400, method="POST", path="/contactslist", count=1)
        with mute_logger(*MUTED):
            run = self.sync()
        self.assertEqual(run.state, "partial")
        self.assertEqual((run.errors, run.lists_done, run.lists_total), (1, 1, 2))
        self.assertIn(f"{title}: Mailjet refused creating the list", run.log)
        self.assertIn("meanwhile@example.com", self.mailjet_list(), "the other list syncs")
        self.assertFalse(long_one.mailjet_list_id)
        self.assertEqual((waiting.state, waiting.mailjet_synced_state), ("accepted", False))
        run = self.sync()
        self.assertEqual(run.state, "done", run.log)
        self.assertIn("long@example.com", self.mailjet_list(long_one))

    def test_bad_input_duplicate_campaign_titles(self):
        rows = (
            ("same title", "Spring newsletter"),
            ("same title, other case and blanks", "  SPRING newsletter "),
        )
        twins = self.env["utm.campaign"]
        for row, title in rows:
            with self.subTest(row=row):
                twin = self.new_campaign(title, newsletter=True)
                self.participant(campaign=twin, email=f"{len(twins)}.twin@example.com")
                twins |= twin
        autumn = self.new_campaign("Autumn newsletter", newsletter=True)
        self.participant(campaign=autumn, email="autumn@example.com")
        with mute_logger(*MUTED):
            run = self.sync()
        self.assertEqual(run.state, "partial")
        self.assertEqual((run.errors, run.lists_done, run.lists_total), (2, 2, 4))
        self.assertEqual(
            run.log.count("Another campaign already uses the list name 'Spring newsletter'")
            + run.log.count("Another campaign already uses the list name 'SPRING newsletter'"),
            2,
            run.log,
        )
        self.assertIn("keep@example.com", self.mailjet_list())
        self.assertIn("autumn@example.com", self.mailjet_list(autumn))
        self.assertEqual(
            len([n for n in self.list_names() if n.lower() == "spring newsletter"]),
            1,
            "no shared, no second list",
        )
        for twin in twins:
            self.assertFalse(twin.mailjet_list_id)
            self.assertEqual(twin.participant_ids.mapped("mailjet_synced_state"), [False])
        for number, twin in enumerate(twins):
            twin.title = f"Spring newsletter, edition {number}"
        run = self.sync()
        self.assertEqual((run.state, run.lists_done), ("done", 4), run.log)

    def test_bad_input_campaign_title_with_markup_and_blanks(self):
        odd = self.new_campaign("  =1+1 <b>News</b> & more  ", newsletter=True)
        run = self.sync()
        self.assertEqual(run.state, "done", run.log)
        self.assertIn("=1+1 <b>News</b> & more", self.list_names(), "trimmed, else as typed")
        self.assertEqual(odd.mailjet_list_name, "=1+1 <b>News</b> & more")

    # ------------------------------------------------------------------ what the sync does
    def test_bad_input_legacy_invalid_address_is_reported_never_sent(self):
        """An address that got in around the validation (an old SQL import)."""
        legacy = self.participant(email="legacy@example.com")
        self.env.flush_all()
        self.env.cr.execute(
            "UPDATE ems_campaign_participant SET email = %s, email_normalized = %s WHERE id = %s",
            ("legacy-at-example.com", "legacy-at-example.com", legacy.id),
        )
        self.env.invalidate_all()
        with mute_logger(*MUTED):
            run = self.sync()
        self.assertEqual(run.state, "partial")
        self.assertEqual(run.errors, 1)
        self.assertIn(
            "Spring newsletter: legacy-at-example.com: The e-mail address "
            "legacy-at-example.com has no '@'.",
            run.log,
        )
        members = self.mailjet_list()
        self.assertEqual(set(members), {"keep@example.com", "declined@example.com"})
        self.assertTrue(legacy.exists())
        self.assertFalse(legacy.mailjet_synced_state)

    def test_bad_input_mixed_case_signup_is_no_second_participant(self):
        person = self.participant(email="Reader@Example.ORG")
        self.sync()
        self.sandbox.signup(int(self.campaign.mailjet_list_id), "READER@example.org", "R")
        run = self.sync()
        self.assertEqual((run.state, run.new_signups), ("done", 0), run.log)
        self.assertEqual(
            self.campaign.participant_ids.filtered(
                lambda p: p.email_normalized == "reader@example.org"
            ),
            person,
        )

    def test_bad_input_idn_address_read_back_from_mailjet_is_no_second_participant(self):
        person = self.participant(email="Anna@Bücher.de")
        self.sync()
        self.assertIn("anna@xn--bcher-kva.de", self.mailjet_list())
        # A contact added in Mailjet changes the member count: the next run reads the
        # whole list back, punycode addresses included.
        self.mailjet_client().contactslist_managecontact.create(
            id=int(self.campaign.mailjet_list_id),
            data={"Email": "new@example.net", "Action": "addnoforce"},
        )
        run = self.sync()
        self.assertEqual((run.state, run.new_signups), ("done", 1), run.log)
        matching = self.campaign.participant_ids.filtered(
            lambda p: p.email_normalized == "anna@xn--bcher-kva.de"
        )
        self.assertEqual(matching, person)
        self.assertEqual(person.mailjet_synced_state, "accepted")

"""Contact property values are read with one SQL query per list; they are exactly the
values the ORM gives for the participant, its partner (and the partner's company) or its
employee, for every source and type of the property map."""

from odoo import Command
from odoo.tests import tagged

from odoo.addons.ems_mailjet.models.ems_mailjet_property import SOURCES
from odoo.addons.ems_mailjet.models.participant_store import (
    OdooParticipantStore,
    _typed,
    property_sources,
)

from .common import EmsMailjetCase


def _orm_sources(participant, campaign_title):
    """The values a contact property can be taken from, with the name, company and
    language read through the ORM (the store's reading before it used SQL): the reference
    the SQL is compared with. Shaping them into sources is ``property_sources``' part."""
    employee = participant.employee_id.sudo()
    partner = participant.partner_id.sudo()
    if employee:
        name = employee.name or ""
        company = employee.company_id.name or ""
        lang = employee.work_contact_id.lang or ""
    elif partner:
        name = partner.name or ""
        company = partner.name if partner.is_company else partner.commercial_company_name
        company = company or partner.parent_id.name or ""
        lang = partner.lang or ""
    else:
        name, company, lang = participant.name or "", "", ""
    return property_sources(
        name,
        company,
        lang,
        participant.email,
        participant.number,
        participant.email_normalized,
        campaign_title,
    )


@tagged("post_install", "-at_install")
class TestPropertySources(EmsMailjetCase):
    def test_property_values_read_with_sql_equal_the_orm_values(self):
        self.env["res.lang"]._activate_lang("de_DE")
        partners = self.env["res.partner"]
        company = partners.create(
            {"name": "Muster GmbH", "is_company": True, "email": "info@muster.example.com"}
        )
        person = partners.create({"name": "Hans Peter Vogel", "email": "hans@example.org"})
        people = [
            # a company partner, with a numeric reference
            {"partner_id": company.id},
            # a contact of a company, in German
            {
                "partner_id": partners.create(
                    {
                        "name": "Anna Berg",
                        "email": "anna@muster.example.com",
                        "parent_id": company.id,
                        "lang": "de_DE",
                        "ref": "4711",
                    }
                ).id
            },
            # a contact of a person (no company: the parent's name), without language
            {
                "partner_id": partners.create(
                    {
                        "name": "Kind Vogel",
                        "email": "kind@example.org",
                        "parent_id": person.id,
                        "lang": False,
                    }
                ).id
            },
            # a person without company, three names, no reference (its id is the number)
            {"partner_id": person.id},
            # a person with a free-text company name and a single name
            {
                "partner_id": partners.create(
                    {"name": "Cher", "email": "cher@example.org", "company_name": "Solo Ltd"}
                ).id
            },
            # a partner named by its address
            {
                "partner_id": partners.create(
                    {"name": "named@example.org", "email": "named@example.org"}
                ).id
            },
            # a partner with a company without a name
            {
                "partner_id": partners.create(
                    {
                        "name": "  Eva   Ohne  ",
                        "email": "eva@example.org",
                        "parent_id": partners.create({"name": "", "is_company": True}).id,
                    }
                ).id
            },
            # employees: with a badge and a German work contact, and without either
            {"employee_id": self.employee.id},
            {"employee_id": self.employee_nobadge.id},
            # bare addresses: with a name, named by the address, with odd case
            {"email": "reader@example.org", "name": "Rita Reader"},
            {"email": "bare@example.org"},
            {"email": "Upper.Case@Example.org", "name": "upper.case@example.org"},
        ]
        self.employee.work_contact_id.lang = "de_DE"
        self.employee_nobadge.work_contact_id.lang = False
        participants = self.env["ems.campaign.participant"]
        for values in people:
            participants |= self.participant(**values)
        declined = self.participant(email="gone@example.org", name="Gone Person")
        declined.state = "declined"
        participants |= declined
        self.interface.property_ids = [Command.clear()] + [
            Command.create({"name": f"{source}_{kind}", "datatype": kind, "source": source})
            for source, _label in SOURCES
            for kind in ("str", "int", "float", "bool", "datetime")
        ]
        self.campaign.mailjet_interface_id = self.interface
        self.env.flush_all()
        self.env.invalidate_all()

        store = OdooParticipantStore(self.campaign)
        by_sql = store._properties()
        title = self.campaign._mailjet_list_name()
        mapping = [(p.name, p.datatype, p.source) for p in self.interface.property_ids]
        by_orm = {}
        for participant in participants:
            sources = _orm_sources(participant, title)
            by_orm[participant.id] = {
                name: _typed(sources[source], kind) for name, kind, source in mapping
            }
        self.assertEqual(set(by_sql), set(by_orm))
        for participant in participants:
            self.assertEqual(
                by_sql[participant.id], by_orm[participant.id], participant.display_name
            )
        # the cases above differ where they should
        values = {p.email_normalized: by_sql[p.id] for p in participants}
        self.assertEqual(values["info@muster.example.com"]["company_str"], "Muster GmbH")
        self.assertEqual(values["info@muster.example.com"]["number_int"], company.id)
        self.assertEqual(values["anna@muster.example.com"]["company_str"], "Muster GmbH")
        self.assertEqual(values["anna@muster.example.com"]["language_str"], "de_DE")
        self.assertEqual(values["anna@muster.example.com"]["number_int"], 4711)
        self.assertEqual(values["kind@example.org"]["company_str"], "Hans Peter Vogel")
        self.assertEqual(values["kind@example.org"]["language_str"], "")
        self.assertEqual(values["hans@example.org"]["first_name_str"], "Hans Peter")
        self.assertEqual(values["cher@example.org"]["company_str"], "Solo Ltd")
        self.assertEqual(values["named@example.org"]["name_str"], "")
        self.assertEqual(values["eva@example.org"]["last_name_str"], "Ohne")
        self.assertEqual(values["max.muster@example.com"]["company_str"], self.company.name)
        self.assertEqual(values["max.muster@example.com"]["language_str"], "de_DE")
        self.assertEqual(values["max.muster@example.com"]["number_str"], "EMP042")
        self.assertEqual(values["bare@example.org"]["name_str"], "")
        self.assertEqual(values["bare@example.org"]["number_bool"], None)
        self.assertEqual(values["reader@example.org"]["campaign_str"], title)
        # and they reach the engine with the participants
        read = {p.key: p.properties for p in store.participants()}
        self.assertEqual(read, by_sql)

    def test_a_confirmed_push_recorded_at_once_equals_state_and_fingerprints_apart(self):
        people = self.env["ems.campaign.participant"]
        for i in range(6):
            people |= self.participant(email=f"reader.{i}@example.org")
        store = OdooParticipantStore(self.campaign)
        store.mark_synced({people[0].id: "accepted", people[1].id: "declined"})
        store.set_property_fingerprints({people[0].id: "f0", people[1].id: ""})
        store.mark_synced({people[2].id: "accepted"})
        store.mark_synced_with_properties(
            {people[3].id: "accepted", people[4].id: "declined", people[5].id: "accepted"},
            {people[3].id: "f0", people[4].id: ""},
        )

        def recorded(person):
            return (
                person.mailjet_synced_state,
                person.mailjet_properties_synced,
                bool(person.mailjet_properties_at),
            )

        self.assertEqual(recorded(people[3]), recorded(people[0]))
        self.assertEqual(recorded(people[4]), recorded(people[1]))
        self.assertEqual(recorded(people[5]), recorded(people[2]))
        self.assertEqual(recorded(people[5]), ("accepted", False, False))

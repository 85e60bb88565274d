"""D3 at scale: a night on which nothing changed asks Mailjet about all lists at once,
costs one call per list and loads no participant; the store's SQL summary says what the
engine's rule says."""

from unittest.mock import patch

from odoo.tests import tagged

from odoo.addons.ems_mailjet.models.participant_store import OdooParticipantStore
from odoo.addons.ems_mailjet.services.sync import summarize

from .common_sandbox import MailjetSandboxCase


@tagged("post_install", "-at_install")
class TestQuietNight(MailjetSandboxCase):
    def _campaign(self, title, size):
        campaign = self.env["utm.campaign"].create(
            {"title": title, "mailjet_newsletter": True, "mailjet_interface_id": self.interface.id}
        )
        self.env["ems.campaign.participant"].create(
            [
                {
                    "campaign_id": campaign.id,
                    "email": f"{title.split()[0].lower()}.{i}@example.org",
                    "state": "declined" if i % 6 == 0 else "accepted",
                }
                for i in range(size)
            ]
        )
        return campaign

    def test_D3_quiet_night_costs_one_call_per_list_and_loads_no_participant(self):
        campaigns = self._campaign("Spring list", 40) | self._campaign("Summer list", 60)
        campaigns.participant_ids[:1].partner_id = self.partner
        self.sync()
        self.sync()
        write_dates = campaigns.participant_ids.mapped("write_date")
        before = self.sandbox.calls()["total"]
        loads = []
        original = OdooParticipantStore.participants

        def counted(store):
            loads.append(store.campaign)
            return original(store)

        with patch.object(OdooParticipantStore, "participants", counted):
            run = self.sync()
        lists = len(self.sandbox.state()["lists"])
        calls = self.sandbox.calls()
        new = calls["calls"][-(calls["total"] - before) :]
        # all lists, all signups, all excluded contacts, then one count per list
        self.assertEqual(len(new), 3 + lists, [c["resource"] for c in new])
        self.assertFalse([c for c in new if c["method"] != "GET"])
        self.assertEqual(loads, [])
        self.assertEqual(campaigns.participant_ids.mapped("write_date"), write_dates)
        self.assertEqual((run.state, run.pushed, run.declined_from_mailjet), ("done", 0, 0))
        spring = campaigns[0]
        self.assertEqual((spring.mailjet_count_total, spring.mailjet_count_unsubscribed), (40, 7))

    def test_D3_the_sql_summary_says_what_the_engine_rule_says(self):
        campaign = self._campaign("Autumn list", 30)
        self.sync()
        people = campaign.participant_ids.sorted("id")
        self.env["ems.campaign.participant"].create(
            [
                {"campaign_id": campaign.id, "email": "new.one@example.org"},
                {"campaign_id": campaign.id, "email": "new.two@example.org", "state": "declined"},
            ]
        )
        people[1].state = "declined"  # waits for its push
        people[2:4].sudo().write({"mailjet_excluded": True})
        self.env.flush_all()
        store = OdooParticipantStore(campaign)
        for excluded in (
            frozenset(),
            frozenset({people[2].email_normalized, people[5].email_normalized}),
            frozenset({people[2].email_normalized, people[3].email_normalized, "x@example.org"}),
        ):
            self.assertEqual(
                store.summary(excluded), summarize(store.participants(), excluded), excluded
            )

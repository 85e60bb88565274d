"""D3 at scale: a night on which nothing changed asks Mailjet about all lists at once
and loads no participant; the store's SQL summary says what the engine's rule says; the
jobs of many lists are polled together."""

import re
from unittest.mock import patch

from odoo.tests import tagged

from odoo.addons.ems_mailjet.models.participant_store import OdooParticipantStore
from odoo.addons.ems_mailjet.services.sync import summarize

from .common_sandbox import MailjetSandboxCase


@tagged("post_install", "-at_install")
class TestQuietNight(MailjetSandboxCase):
    def _campaign(self, title, size):
        campaign = self.newsletter(title)
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

    def test_D3_quiet_night_reads_all_lists_at_once_and_loads_no_participant(self):
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
        self.assertGreaterEqual(len(self.sandbox.state()["lists"]), 3)
        calls = self.sandbox.calls()
        new = calls["calls"][-(calls["total"] - before) :]
        # all lists, all signups, all excluded contacts, then the unsubscribed members of
        # every list at once (one count, one page): nothing per list
        self.assertEqual(
            [c["resource"] for c in new],
            ["contactslist", "contactslistsignup", "contact", "listrecipient", "listrecipient"],
        )
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

    def test_D3_after_the_first_list_the_jobs_of_several_lists_are_polled_together(self):
        """The first list is finished on its own; the next two are both started (their
        changes sent) before their jobs are polled together, and so on in waves twice as
        large. A wave's jobs are polled once when it is full and to their end after the
        next lists were started, which were their wait: no call more than polling each
        wave at once. Every list ends as if it had been synced alone."""
        titles = ("Alpha letter", "Beta letter", "Gamma letter", "Delta letter")
        campaigns = [self._campaign(title, 12) for title in titles]
        before = self.sandbox.calls()["total"]
        run = self.sync()
        jobs = []  # (list id, "submit" or "poll"), in the order Mailjet saw them
        for call in self.sandbox.calls()["calls"][before:]:
            found = re.search(r"contactslist/(\d+)/managemanycontacts", call["path"])
            if found:
                jobs.append((int(found[1]), "submit" if call["method"] == "POST" else "poll"))
        lists = [int(c.mailjet_list_id) for c in campaigns]

        def span(list_ids, kind):
            places = [n for n, (lid, k) in enumerate(jobs) if lid in list_ids and k == kind]
            return min(places), max(places)

        first_submit, first_poll = span(lists[:1], "submit"), span(lists[:1], "poll")
        wave_submit, wave_poll = span(lists[1:3], "submit"), span(lists[1:3], "poll")
        self.assertLess(first_poll[1], wave_submit[0], "the first list is finished first")
        self.assertLess(first_submit[1], first_poll[0])
        self.assertLess(wave_submit[1], wave_poll[0], "both lists sent before either is polled")
        next_submit = span(lists[3:], "submit")
        self.assertLess(wave_poll[0], next_submit[0], "the wave is polled once first")
        self.assertGreater(wave_poll[1], next_submit[1], "and to its end after the next")
        wave_jobs = [k for lid, k in jobs if lid in lists[1:3]]
        self.assertEqual(wave_jobs.count("poll"), 2 * wave_jobs.count("submit"))
        self.assertEqual((run.state, run.errors), ("done", 0), run.log)
        for campaign in campaigns:
            members = self.mailjet_list(campaign)
            people = campaign.participant_ids
            self.assertEqual(len(members), 12)
            self.assertEqual(
                {p.email_normalized: p.state for p in people},
                {e: "declined" if m["IsUnsubscribed"] else "accepted" for e, m in members.items()},
            )
            self.assertEqual(people.mapped("mailjet_synced_state"), people.mapped("state"))
            self.assertEqual(
                (campaign.mailjet_count_total, campaign.mailjet_count_unsubscribed), (12, 2)
            )

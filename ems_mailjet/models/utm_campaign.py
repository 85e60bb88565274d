import logging
from datetime import datetime, timedelta, timezone

from odoo import api, fields, models
from odoo.exceptions import UserError

from ..services.engagement import activity_budget, message_activity
from ..services.errors import MailjetAuthFailed, MailjetError, MailjetNotFound
from ..services.notes import Note
from ..services.records import Checkpoint, external_id, stored_id
from ..services.sync import start_list, survey
from ..services.webhook import MailjetEvent
from .campaign_sync import CampaignSync
from .participant_store import OdooParticipantStore

_logger = logging.getLogger(__name__)

# Statistics change slowly; reading them once per list every few hours keeps a sync that
# finds nothing to do at four calls per list.
STATISTICS_MAX_AGE = timedelta(hours=6)


class UtmCampaign(models.Model):
    """A campaign keeps participants; ticked "Newsletter" it mirrors a Mailjet list.

    The per-list part of a synchronisation lives here (``_mailjet_sync_start`` and
    ``_mailjet_sync_finish``): the run loops over its campaigns, each campaign syncs its
    own list and writes its own values once per run."""

    _inherit = "utm.campaign"

    # Same definition as sale's, so both modules can be installed together.
    company_id = fields.Many2one("res.company", default=lambda self: self.env.company)
    mailjet_newsletter = fields.Boolean(
        string="Newsletter (E-Mail-Marketing)",
        help="Only campaigns with this tick are synchronised with a Mailjet contact list, "
        "which takes the campaign's name.",
    )
    participant_ids = fields.One2many(
        "ems.campaign.participant", "campaign_id", string="Participants"
    )
    mailjet_interface_id = fields.Many2one(
        "ems.interface",
        string="Mailjet interface",
        compute="_compute_mailjet_interface_id",
        store=True,
        readonly=False,
        ondelete="set null",
        groups="base.group_system",
        domain="[('interface_type', '=', 'mailjet')]",
    )
    mailjet_list_id = fields.Char(
        string="Mailjet list ID",
        readonly=True,
        copy=False,
        help="The ID of the Mailjet contact list this campaign is mirrored to.",
    )
    mailjet_list_name = fields.Char(
        string="Mailjet list name",
        readonly=True,
        copy=False,
        help="The name the Mailjet list had after the last synchronisation.",
    )
    mailjet_list_deleted = fields.Boolean(
        string="List deleted in Mailjet",
        readonly=True,
        copy=False,
        help="Somebody deleted this campaign's list in Mailjet. Nothing is sent until you "
        "reinstate it or start a new list.",
    )
    mailjet_checkpoint = fields.Json(copy=False, readonly=True)
    mailjet_last_sync_at = fields.Datetime(string="Last synchronisation", readonly=True, copy=False)
    # The list as Mailjet counts it
    mailjet_count_total = fields.Integer(string="Contacts", readonly=True, copy=False)
    mailjet_count_subscribed = fields.Integer(string="Subscribed", readonly=True, copy=False)
    mailjet_count_unsubscribed = fields.Integer(string="Unsubscribed", readonly=True, copy=False)
    mailjet_count_excluded = fields.Integer(string="Excluded", readonly=True, copy=False)
    # What Mailjet's campaigns sent to this list did
    mailjet_stat_sent = fields.Integer(
        string="Delivered",
        readonly=True,
        copy=False,
        help="Messages Mailjet delivered (its MessageSentCount).",
    )
    mailjet_stat_opened = fields.Integer(string="Opened", readonly=True, copy=False)
    mailjet_stat_clicked = fields.Integer(string="Clicked", readonly=True, copy=False)
    mailjet_stat_unsubscribed = fields.Integer(
        string="Unsubscribed (statistics)", readonly=True, copy=False
    )
    mailjet_stat_bounced = fields.Integer(string="Bounced", readonly=True, copy=False)
    mailjet_stat_spam = fields.Integer(string="Marked as spam", readonly=True, copy=False)
    mailjet_stats_at = fields.Datetime(
        string="Statistics updated",
        readonly=True,
        copy=False,
        help="Mailjet's statistics are read at most every few hours (by the nightly run).",
    )
    mailjet_mailing_ids = fields.One2many(
        "ems.mailjet.mailing", "campaign_id", string="Mailings sent to the list", readonly=True
    )
    participant_count = fields.Integer(
        string="Number of participants", compute="_compute_participant_counts"
    )
    participant_accepted_count = fields.Integer(
        string="Accepted", compute="_compute_participant_counts"
    )
    participant_declined_count = fields.Integer(
        string="Declined", compute="_compute_participant_counts"
    )

    @api.depends("mailjet_newsletter", "company_id")
    def _compute_mailjet_interface_id(self):
        interface_model = self.env["ems.interface"]
        for campaign in self:
            if campaign.mailjet_newsletter and not campaign.mailjet_interface_id:
                company = campaign.company_id or self.env.company
                campaign.mailjet_interface_id = interface_model._default_for_company(company)

    @api.depends("participant_ids.state")
    def _compute_participant_counts(self):
        counts = {
            (campaign.id, state): count
            for campaign, state, count in self.env["ems.campaign.participant"]._read_group(
                [("campaign_id", "in", self.ids)], ["campaign_id", "state"], ["__count"]
            )
        }
        for campaign in self:
            accepted = counts.get((campaign.id, "accepted"), 0)
            declined = counts.get((campaign.id, "declined"), 0)
            campaign.participant_accepted_count = accepted
            campaign.participant_declined_count = declined
            campaign.participant_count = accepted + declined

    @api.ondelete(at_uninstall=False)
    def _unlink_except_declined_participants(self):
        """Deleting a campaign would delete the legal record of its unsubscribes."""
        participants = self.env["ems.campaign.participant"].with_context(active_test=False)
        declined = participants.search_count(
            [("campaign_id", "in", self.ids), ("state", "=", "declined")], limit=1
        )
        if declined:
            raise UserError(
                self.env._(
                    "This campaign has declined participants: their unsubscribes are a legal "
                    "record and cannot be deleted. Archive the campaign instead."
                )
            )

    def _mailjet_list_name(self):
        """The name of the campaign's Mailjet list: the campaign's title as users see it
        in the interface's language, whatever the language of whoever edits the campaign
        or runs the synchronisation."""
        self.ensure_one()
        interface = self.sudo().mailjet_interface_id
        lang = interface.lang or self.env.company.partner_id.lang or "en_US"
        return self.with_context(lang=lang).title

    def action_open_participants(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "ems_mailjet.action_ems_campaign_participant"
        )
        action["domain"] = [("campaign_id", "=", self.id)]
        action["context"] = {"default_campaign_id": self.id}
        return action

    def action_mailjet_sync_preview(self):
        """What the next synchronisation would do with this campaign's list."""
        self.ensure_one()
        interface = self.sudo().mailjet_interface_id
        if not interface:
            raise UserError(self.env._("Choose the Mailjet interface of this campaign first."))
        try:
            result = interface._sync_preview(campaigns=self)
        except MailjetError as error:
            raise UserError(interface._error_text(error)) from None
        preview = self.env["ems.mailjet.sync.preview"]._from_result(interface, result)
        return preview._action_open()

    # ------------------------------------------------------------------ Mailjet sync
    def _mailjet_wanted_lists(self):
        """``(campaign id, list name, stored list id)`` for ``MailjetGateway.ensure_lists``."""
        return [(c.id, c._mailjet_list_name(), external_id(c.mailjet_list_id)) for c in self]

    def _mailjet_overview(self, run, gateway, ensured):
        """What Mailjet says about all these campaigns' lists at once
        (``services.sync.survey``), or None when it cannot tell: the error goes to the
        run's log and each list reads its own."""
        lists = [
            (e.list_id, e.subscriber_count, Checkpoint.from_dict(c.sudo().mailjet_checkpoint))
            for c in self
            for e in [ensured[c.id]]
            if e.list_id and not e.created and not e.error
        ]
        try:
            return survey(gateway, lists)
        except MailjetAuthFailed:
            raise
        except MailjetError as error:
            _logger.warning("Mailjet overview of all lists failed, reading each list: %s", error)
            run._log_error(error)
            return None

    def _mailjet_sync_start(self, run, gateway, ensured, overview=None):
        """Start the sync of this campaign's list (``ensured``: its ``EnsuredList``):
        pull, apply to the ERP, submit the jobs (``services.sync.start_list``). Returns
        a ``CampaignSync`` to finish (``_mailjet_sync_finish``, once its jobs were polled
        with other lists'), or None when the list could not be synced at all (said in
        ``run``'s log). ``overview``: the run's ``services.sync.Overview`` of all lists."""
        self.ensure_one()
        if ensured.deleted:
            self.write({"mailjet_list_deleted": True})
        if ensured.error or not ensured.list_id:
            run._log_notes([ensured.error or Note("list_no_name")], self)
            run.errors += 1
            return None
        lost_list = ensured.created and external_id(self.mailjet_list_id)
        store = OdooParticipantStore(self)
        values = {
            "mailjet_list_id": stored_id(ensured.list_id),
            "mailjet_list_name": ensured.name,
            "mailjet_list_deleted": False,
        }
        started = None
        try:
            list_overview = None
            if overview is not None:
                list_overview = overview.for_list(
                    ensured.list_id, store.get_checkpoint(), created=ensured.created
                )
            started = start_list(
                gateway,
                ensured.list_id,
                store,
                known_empty=ensured.created,
                # the counters after a push are predicted; the next run's counts check them
                recount=False,
                overview=list_overview,
            )
        finally:
            if store.checkpoint is not None:
                values["mailjet_checkpoint"] = store.checkpoint
            if started is None:
                self.write(values)  # the run stops here: keep the list and the checkpoint
        return CampaignSync(self, ensured, started, values, lost_list)

    def _mailjet_sync_finish(self, run, gateway, sync, report):
        """Write what the list's sync did (``report``, final) to the campaign, with what
        its start left to write (``sync.values``): once per run, whatever the outcome.
        Reads the statistics when due and adds it all to ``run``."""
        self.ensure_one()
        ensured = sync.ensured
        values = dict(sync.values, **self._mailjet_report_values(report))
        try:
            if ensured.created:
                values["mailjet_stats_at"] = fields.Datetime.now()  # nothing sent to it yet
            elif not report.aborted and self._mailjet_statistics_due():
                statistics = self._mailjet_statistics_values(gateway, ensured.list_id, run)
                if statistics:
                    self._mailjet_read_mailings(gateway, ensured.list_id, run, statistics)
                values.update(statistics)
        finally:
            self.write(values)
        if ensured.renamed:
            report.add(Note("list_renamed", {"name": ensured.name}))
        if sync.lost_list:
            params = {"old_id": sync.lost_list, "new_id": ensured.list_id}
            report.add(Note("list_recreated", params))
        run._add(report, self)

    def action_mailjet_reinstate_list(self):
        """Undo the deletion in Mailjet: the list comes back with its members and their
        unsubscribes, and the next synchronisation (started now) carries on with it."""
        self.ensure_one()
        list_id = external_id(self.mailjet_list_id)
        interface = self.sudo().mailjet_interface_id
        try:
            with interface._quick_gateway() as gateway:
                gateway.reinstate_list(list_id)
        except MailjetNotFound:
            raise UserError(
                self.env._(
                    "Mailjet no longer has list %(list_id)s at all, so it cannot be "
                    "reinstated. Start a new list instead.",
                    list_id=list_id,
                )
            ) from None
        except MailjetError as error:
            raise UserError(interface._quick_error_text(error)) from None
        self.write({"mailjet_list_deleted": False})
        interface._request_sync("manual")
        return interface._notify(
            self.env._("The list is back in Mailjet; a synchronisation has started."), "success"
        )

    def action_mailjet_new_list(self):
        """Replace the deleted list by a new one. Every participant is sent to it at the
        next synchronisation (started now): the accepted ones subscribed, every declined
        one unsubscribed, so no unsubscribe is lost."""
        self.ensure_one()
        interface = self.sudo().mailjet_interface_id
        old_id = external_id(self.mailjet_list_id)
        try:
            with interface._quick_gateway() as gateway:
                new = gateway.new_list(self._mailjet_list_name(), deleted_id=old_id)
        except MailjetError as error:
            raise UserError(interface._quick_error_text(error)) from None
        self.write(
            {
                "mailjet_list_id": stored_id(new.id),
                "mailjet_list_name": new.name,
                "mailjet_list_deleted": False,
                "mailjet_checkpoint": False,
            }
        )
        participants = self.with_context(active_test=False).participant_ids.sudo()
        participants.write({"mailjet_synced_state": False})
        interface._request_sync("manual")
        return interface._notify(
            self.env._("A new list was created in Mailjet; a synchronisation has started."),
            "success",
        )

    def _mailjet_report_values(self, report):
        values = {"mailjet_last_sync_at": fields.Datetime.now()}
        if report.counters:
            values.update(
                mailjet_count_total=report.counters.total,
                mailjet_count_subscribed=report.counters.subscribed,
                mailjet_count_unsubscribed=report.counters.unsubscribed,
                mailjet_count_excluded=report.counters.excluded,
            )
        return values

    def _mailjet_statistics_due(self):
        age = fields.Datetime.now() - (self.mailjet_stats_at or datetime.min)
        return age > STATISTICS_MAX_AGE

    def _mailjet_statistics_values(self, gateway, list_id, run):
        """The list's lifetime message statistics from Mailjet (a problem goes to the log)."""
        try:
            stats = gateway.list_statistics(list_id)
        except MailjetError as error:
            run._log_notes([error.note()], self)
            return {}
        return {
            "mailjet_stats_at": fields.Datetime.now(),
            "mailjet_stat_sent": stats.sent,
            "mailjet_stat_opened": stats.opened,
            "mailjet_stat_clicked": stats.clicked,
            "mailjet_stat_unsubscribed": stats.unsubscribed,
            "mailjet_stat_bounced": stats.bounced,
            "mailjet_stat_spam": stats.spam,
        }

    # ------------------------------------------------------------------ Mailjet webhook
    def _mailjet_list_ids(self):
        """Campaign id → its Mailjet list id, for the campaigns that have one."""
        ids = {c.id: external_id(c.mailjet_list_id) for c in self}
        return {campaign_id: list_id for campaign_id, list_id in ids.items() if list_id}

    def _mailjet_read_mailings(self, gateway, list_id, run, statistics):
        """The nightly safety net: when Mailjet's counters of the list moved since the last
        read, read the list's mailings and their counters, then the recipients' messages of
        the mailings whose counters moved (at most one call per 1,000 participants)."""
        self.ensure_one()
        names = ("sent", "opened", "clicked", "unsubscribed", "bounced", "spam")
        if all(statistics.get(f"mailjet_stat_{n}") == self[f"mailjet_stat_{n}"] for n in names):
            return
        try:
            sent = gateway.campaign_statistics(list_id)
        except MailjetError as error:
            run._log_notes([error.note()], self)
            return
        mailings = self.env["ems.mailjet.mailing"].sudo()
        known = {m.mailjet_campaign_id: m for m in self.sudo().mailjet_mailing_ids}
        for stats in sent:
            values = self._mailjet_mailing_values(stats)
            mailing = known.get(values["mailjet_campaign_id"])
            if mailing:
                mailing.write(values)
            else:
                known[values["mailjet_campaign_id"]] = mailings.create(
                    dict(values, campaign_id=self.id)
                )
        budget = activity_budget(self.participant_count)
        for mailing in sorted(
            known.values(), key=lambda m: m.sent_at or datetime.min, reverse=True
        ):
            if budget <= 0:
                break
            key = mailing._counters_key()
            if mailing.activity_read_key == key:
                continue
            calls_before = gateway.calls
            try:
                rows, complete = gateway.campaign_messages(int(mailing.mailjet_campaign_id), budget)
            except MailjetError as error:
                run._log_notes([error.note()], self)
                return
            budget -= gateway.calls - calls_before
            self._mailjet_apply_messages(mailing, message_activity(rows), run)
            if complete:
                mailing.activity_read_key = key

    @api.model
    def _mailjet_mailing_values(self, stats):
        """An ``ems.mailjet.mailing`` from ``gateway.CampaignStatistics`` (Mailjet's words:
        MessageSentCount is delivered, statcounters' Total is processed)."""
        c = stats.counters
        processed = sum(
            c.get(name, 0)
            for name in (
                "MessageSentCount",
                "MessageBlockedCount",
                "MessageSoftBouncedCount",
                "MessageHardBouncedCount",
                "MessageQueuedCount",
                "MessageDeferredCount",
            )
        )
        sent_at = stats.sent_at
        if sent_at is not None and sent_at.tzinfo is not None:
            sent_at = sent_at.astimezone(timezone.utc).replace(tzinfo=None)
        return {
            "mailjet_campaign_id": str(stats.campaign_id),
            "subject": stats.subject,
            "sent_at": sent_at or False,
            "processed": processed,
            "delivered": c.get("MessageSentCount", 0),
            "opened": c.get("MessageOpenedCount", 0),
            "clicked": c.get("MessageClickedCount", 0),
            "bounced": c.get("MessageHardBouncedCount", 0) + c.get("MessageSoftBouncedCount", 0),
            "spam": c.get("MessageSpamCount", 0),
            "unsubscribed": c.get("MessageUnsubscribedCount", 0),
        }

    def _mailjet_apply_messages(self, mailing, activities, run):
        """Record what the recipients of ``mailing`` did; hard bounces and spam complaints
        found this way are handled as the webhook handles them."""
        self.ensure_one()
        participants = self.env["ems.campaign.participant"].sudo().with_context(active_test=False)
        by_email = {
            p.email_normalized: p
            for p in participants.search(
                [
                    ("campaign_id", "=", self.id),
                    ("email_normalized", "in", sorted({a.email for a in activities})),
                ]
            )
        }
        reported = []
        for act in activities:
            participant = by_email.get(act.email)
            if not participant:
                continue
            sent_at = act.sent_at and act.sent_at.astimezone(timezone.utc).replace(tzinfo=None)
            row = self.env["ems.mailjet.events"]._mailjet_activity_row(
                participant, act.message_id, mailing, sent_at
            )
            values = {"opened": act.opened, "clicked": act.clicked}
            values.update(bounced=act.bounced, spam=act.spam)
            self.env["ems.mailjet.events"]._mailjet_activity_update(row, values)
            if act.hard_bounce or act.spam:
                kind = "spam" if act.spam else "bounce"
                moment = act.sent_at or datetime.now(timezone.utc)
                reported.append(MailjetEvent(kind, act.email, moment, hard_bounce=act.hard_bounce))
                if act.spam and participant.state == "accepted":
                    participant.write({"state": "declined"})
        if reported:
            _count, lines = self.env["ems.mailjet.events"]._mailjet_webhook_protect(
                self.sudo().mailjet_interface_id, reported
            )
            for code, params, campaign, participant_id in lines:
                run._log(code, params, campaign, participant_id)

from odoo import api, fields, models

from ..models.ems_mailjet_messages import render
from ..models.participant_store import OdooParticipantStore
from ..services.preview import addresses, plan_lists, preview_list
from ..services.reconcile import REASON_FINAL, REASON_MAILJET_UNSUB, REASON_SAME_ADDRESS

# What each kind of preview line counts into.
_COUNTERS = {
    "create_list": "list_create_count",
    "rename_list": "list_rename_count",
    "push": "push_count",
    "unsubscribe": "unsubscribe_count",
    "decline": "decline_count",
    "signup": "signup_count",
    "problem": "problem_count",
}


class EmsMailjetSyncPreview(models.TransientModel):
    """What the next synchronisation would do, shown before it runs (nothing changed)."""

    _name = "ems.mailjet.sync.preview"
    _description = "Preview of the next Mailjet synchronisation"

    interface_id = fields.Many2one("ems.interface", readonly=True, ondelete="cascade")
    campaign_id = fields.Many2one(
        "utm.campaign",
        readonly=True,
        ondelete="cascade",
        help="Set when the preview covers this campaign only.",
    )
    line_ids = fields.One2many("ems.mailjet.sync.preview.line", "preview_id", string="Changes")
    list_create_count = fields.Integer(string="Lists to create", readonly=True)
    list_rename_count = fields.Integer(string="Lists to rename", readonly=True)
    push_count = fields.Integer(string="To push to Mailjet", readonly=True)
    unsubscribe_count = fields.Integer(string="To unsubscribe in Mailjet", readonly=True)
    decline_count = fields.Integer(string="To decline in the ERP", readonly=True)
    signup_count = fields.Integer(string="New signups", readonly=True)
    problem_count = fields.Integer(string="Problems", readonly=True)
    api_calls = fields.Integer(
        string="API calls (reads only)",
        readonly=True,
        help="The calls the preview made: only reads, the same a synchronisation starts with.",
    )
    nothing_to_do = fields.Boolean(compute="_compute_nothing_to_do")

    @api.depends(*_COUNTERS.values())
    def _compute_nothing_to_do(self):
        for preview in self:
            preview.nothing_to_do = not any(preview[name] for name in _COUNTERS.values())

    @api.model
    def _plan(self, interface, campaigns=None):
        """What a synchronisation of ``interface`` would do now, per campaign id.

        Each value holds the addresses concerned (``to_push``, ``to_unsubscribe``,
        ``to_decline``, ``new_signups``), the list to create or rename, the decline
        reasons, the signups' matches and what could not be read. It writes nothing in
        the ERP or in Mailjet and makes only the reads a synchronisation starts with.
        ``campaigns``: only these newsletter campaigns of the interface (default: all).
        Raises ``MailjetError`` when Mailjet cannot be read at all."""
        every = (
            self.env["utm.campaign"]
            .sudo()
            .search(
                [("mailjet_interface_id", "=", interface.id), ("mailjet_newsletter", "=", True)],
                order="mailjet_last_sync_at asc nulls first, id",
            )
        )
        wanted = every if campaigns is None else every & campaigns.sudo()
        result = {}
        with interface._gateway() as gateway:
            decisions = plan_lists(gateway.lists(), every._mailjet_wanted_lists())
            for campaign in wanted:
                decision = decisions[campaign.id]
                store = OdooParticipantStore(campaign)
                preview = preview_list(gateway, decision, store)
                result[campaign.id] = {
                    **addresses(preview),
                    "list_id": decision.list_id,
                    "list_name": decision.name,
                    "create_list": decision.create,
                    "rename_from": decision.rename_from,
                    "property_updates": list(preview.property_updates),
                    "decline_reasons": dict(preview.to_decline),
                    "signup_matches": {
                        n.email: (n.match_kind, n.match_id, n.ambiguous, n.candidate_count)
                        for n in preview.new_signups
                    },
                    "marked_synced": preview.marked_synced,
                    "notes": [(n.code, dict(n.params)) for n in preview.notes],
                    "error": (preview.error.code, dict(preview.error.params))
                    if preview.error
                    else None,
                    "api_calls": preview.api_calls,
                }
            for item in result.values():
                item["api_calls_total"] = gateway.calls  # the read of all lists included
        return result

    @api.model
    def _from_result(self, interface, result):
        """A preview record from ``ems.interface._sync_preview``'s result."""
        campaigns = self.env["utm.campaign"].sudo().browse(list(result))
        lines = []
        for campaign in campaigns:
            lines += self._lines_of(campaign, result[campaign.id])
        counts = dict.fromkeys(_COUNTERS.values(), 0)
        for line in lines:
            counts[_COUNTERS[line["kind"]]] += 1
        return self.create(
            {
                "interface_id": interface.id,
                "campaign_id": campaigns.id if len(campaigns) == 1 else False,
                "api_calls": max((item["api_calls_total"] for item in result.values()), default=0),
                "line_ids": [fields.Command.create(values) for values in lines],
                **counts,
            }
        )

    @api.model
    def _lines_of(self, campaign, item):
        def line(kind, email="", detail=""):
            return {"campaign_id": campaign.id, "kind": kind, "email": email, "detail": detail}

        lines = []
        if item["error"]:
            code, params = item["error"]
            lines.append(line("problem", detail=render(self.env, code, params)))
        if item["create_list"]:
            lines.append(line("create_list", detail=item["list_name"]))
        if item["rename_from"]:
            detail = self.env._(
                "'%(old)s' → '%(new)s'", old=item["rename_from"], new=item["list_name"]
            )
            lines.append(line("rename_list", detail=detail))
        updates = set(item.get("property_updates") or ())
        changed = self.env._("Contact properties changed")
        lines += [
            line("push", email, changed if email in updates else "") for email in item["to_push"]
        ]
        lines += [line("unsubscribe", email) for email in item["to_unsubscribe"]]
        reasons = item["decline_reasons"]
        lines += [
            line("decline", email, self._reason_text(reasons.get(email)))
            for email in item["to_decline"]
        ]
        matches = item["signup_matches"]
        lines += [
            line("signup", email, self._match_text(*matches[email]))
            for email in item["new_signups"]
        ]
        lines += [
            line("problem", params.get("email", ""), render(self.env, code, params))
            for code, params in item["notes"]
        ]
        return lines

    def _reason_text(self, reason):
        texts = {
            REASON_MAILJET_UNSUB: self.env._("Unsubscribed in Mailjet"),
            REASON_SAME_ADDRESS: self.env._(
                "Another participant with the same address is declined"
            ),
            REASON_FINAL: self.env._(
                "The unsubscribe is final; re-subscribing needs the customer's consent"
            ),
        }
        return texts.get(reason, reason or "")

    def _match_text(self, kind, record_id, ambiguous, count):
        if ambiguous:
            return self.env._(
                "%(count)s employees/partners use this address; it will be kept with the "
                "address only",
                count=count,
            )
        if kind == "employee" and record_id:
            name = self.env["hr.employee"].sudo().browse(record_id).display_name
            return self.env._("Employee: %(name)s", name=name)
        if kind == "partner" and record_id:
            name = self.env["res.partner"].sudo().browse(record_id).display_name
            return self.env._("Contact: %(name)s", name=name)
        return self.env._("No employee or contact with this address")

    def _action_open(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "ems_mailjet.action_ems_mailjet_sync_preview"
        )
        action["res_id"] = self.id
        return action

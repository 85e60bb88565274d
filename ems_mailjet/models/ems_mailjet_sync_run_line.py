from odoo import api, fields, models

from .ems_mailjet_messages import LEVELS, render


class EmsMailjetSyncRunLine(models.Model):
    """One line of a run's log: a code and its parameters, read in the reader's language."""

    _name = "ems.mailjet.sync.run.line"
    _description = "Mailjet synchronisation run: log line"
    _order = "run_id desc, id"
    _rec_name = "code"

    run_id = fields.Many2one("ems.mailjet.sync.run", required=True, ondelete="cascade", index=True)
    interface_id = fields.Many2one(related="run_id.interface_id")
    company_id = fields.Many2one(related="run_id.company_id", store=True, index=True)
    started_at = fields.Datetime(related="run_id.started_at", string="Run start")
    level = fields.Selection(
        selection=[("info", "Info"), ("warning", "Warning"), ("error", "Error")],
        required=True,
        default="info",
        index=True,
    )
    code = fields.Char(required=True)
    params = fields.Json(string="Parameters")
    campaign_id = fields.Many2one("utm.campaign", ondelete="set null", index=True)
    participant_id = fields.Many2one(
        "ems.campaign.participant",
        ondelete="set null",
        index="btree_not_null",
    )
    message = fields.Text(compute="_compute_message")

    @api.depends("code", "params")
    @api.depends_context("lang")
    def _compute_message(self):
        for line in self:
            line.message = render(self.env, line.code, line.params)

    @api.model
    def _values(self, run, code, params=None, campaign=None, participant_id=None):
        """The values of one line (for ``create``); the level comes with the code."""
        return {
            "run_id": run.id,
            "level": LEVELS.get(code, "info"),
            "code": code,
            "params": dict(params or {}),
            "campaign_id": campaign.id if campaign else False,
            "participant_id": participant_id or False,
        }

from datetime import timedelta

from odoo import api, fields, models

COUNTERS = (
    "pushed",
    "unsubscribed_in_mailjet",
    "declined_from_mailjet",
    "new_signups",
    "matched",
    "unmatched",
    "ambiguous",
    "errors",
    "api_calls",
)


class EmsMailjetSyncRun(models.Model):
    """One synchronisation of one interface: what it did, how long, what went wrong (D7)."""

    _name = "ems.mailjet.sync.run"
    _description = "Mailjet synchronisation run"
    _order = "started_at desc, id desc"
    _rec_name = "started_at"

    interface_id = fields.Many2one(
        "ems.interface", required=True, ondelete="cascade", index=True, readonly=True
    )
    company_id = fields.Many2one(related="interface_id.company_id", store=True)
    trigger = fields.Selection(
        selection=[
            ("cron", "Nightly"),
            ("manual", "Manual"),
            ("save", "Saved credentials"),
            ("webhook", "Webhook"),
        ],
        required=True,
        default="manual",
        readonly=True,
    )
    started_at = fields.Datetime(
        string="Start", required=True, readonly=True, default=fields.Datetime.now
    )
    ended_at = fields.Datetime(string="End", readonly=True)
    duration = fields.Float(string="Duration (s)", readonly=True, digits=(16, 1))
    state = fields.Selection(
        selection=[
            ("running", "Running"),
            ("done", "Done"),
            ("partial", "Partly done"),
            ("failed", "Failed"),
            ("skipped", "Skipped"),
        ],
        required=True,
        default="running",
        readonly=True,
    )
    lists_total = fields.Integer(string="Lists", readonly=True)
    lists_done = fields.Integer(string="Lists synchronised", readonly=True)
    pushed = fields.Integer(string="Pushed to Mailjet", readonly=True)
    unsubscribed_in_mailjet = fields.Integer(string="Unsubscribed in Mailjet", readonly=True)
    declined_from_mailjet = fields.Integer(string="Declined from Mailjet", readonly=True)
    new_signups = fields.Integer(string="New signups", readonly=True)
    matched = fields.Integer(readonly=True)
    unmatched = fields.Integer(readonly=True)
    ambiguous = fields.Integer(readonly=True)
    errors = fields.Integer(readonly=True)
    api_calls = fields.Integer(string="API calls", readonly=True)
    log = fields.Text(readonly=True)

    def _add(self, report, campaign_label):
        """Add one list's engine report (``services.sync.RunReport``) to this run."""
        self.ensure_one()
        values = {name: self[name] + getattr(report, name) for name in COUNTERS}
        lines = [f"{campaign_label}: {line}" for line in report.error_lines + report.notes]
        if lines:
            values["log"] = "\n".join(filter(None, [self.log, *lines]))
        self.write(values)

    def _note(self, line):
        self.ensure_one()
        self.log = "\n".join(filter(None, [self.log, line]))

    def _finish(self, state, duration=None):
        """Close the run; ``duration`` in seconds (measured precisely by the caller; the
        datetime fields keep whole seconds only)."""
        self.ensure_one()
        now = fields.Datetime.now()
        if duration is None:
            duration = (now - self.started_at).total_seconds()
        self.write({"state": state, "ended_at": now, "duration": duration})

    @api.autovacuum
    def _gc_old_runs(self):
        """Drop runs older than each interface's retention (D7: the log stays readable)."""
        for interface in self.env["ems.interface"].with_context(active_test=False).search([]):
            limit = fields.Datetime.now() - timedelta(days=interface.run_retention_days or 90)
            self.search(
                [
                    ("interface_id", "=", interface.id),
                    ("started_at", "<", limit),
                    ("state", "!=", "running"),
                ]
            ).unlink()

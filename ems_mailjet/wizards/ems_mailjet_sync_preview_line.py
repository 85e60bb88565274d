from odoo import api, fields, models


class EmsMailjetSyncPreviewLine(models.TransientModel):
    """One change the next synchronisation would make."""

    _name = "ems.mailjet.sync.preview.line"
    _description = "Change in the preview of a Mailjet synchronisation"
    _order = "campaign_id, kind_sequence, email, id"

    preview_id = fields.Many2one("ems.mailjet.sync.preview", required=True, ondelete="cascade")
    campaign_id = fields.Many2one("utm.campaign", readonly=True)
    kind = fields.Selection(
        selection=[
            ("problem", "Problem"),
            ("create_list", "Create list in Mailjet"),
            ("rename_list", "Rename list in Mailjet"),
            ("unsubscribe", "Unsubscribe in Mailjet"),
            ("push", "Push to Mailjet"),
            ("decline", "Decline in the ERP"),
            ("signup", "New signup from Mailjet"),
        ],
        string="Change",
        required=True,
        readonly=True,
    )
    kind_sequence = fields.Integer(compute="_compute_kind_sequence", store=True)
    email = fields.Char(string="E-mail", readonly=True)
    detail = fields.Char(readonly=True)

    @api.depends("kind")
    def _compute_kind_sequence(self):
        order = [key for key, _label in self._fields["kind"].selection]
        for line in self:
            line.kind_sequence = order.index(line.kind) if line.kind in order else len(order)

from odoo import api, fields, models
from odoo.exceptions import UserError, ValidationError
from odoo.tools import SQL
from odoo.tools.sql import create_index

from ..services.emails import InvalidEmail, normalize_email, validate_email
from .ems_mailjet_messages import render

# A spreadsheet runs a cell that starts like a formula. Names and addresses also come from
# outside (Mailjet signups), so no exported cell starts that way (CSV/formula injection;
# Odoo's CSV export guards only =, + and -, its XLSX export writes "=…" as a formula).
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
# Percent of each table page filled by new participants (see ``init``).
FILLFACTOR = 50


class EmsCampaignParticipant(models.Model):
    """Someone on a campaign's list: a partner, an employee or a bare e-mail address."""

    _name = "ems.campaign.participant"
    _description = "Campaign participant"
    _inherit = ["mail.thread", "ems.mailjet.contact.mixin"]
    _order = "campaign_id, name, email_normalized, id"
    _rec_name = "name"

    campaign_id = fields.Many2one("utm.campaign", required=True, index=True, ondelete="cascade")
    company_id = fields.Many2one(related="campaign_id.company_id", store=True, index=True)
    partner_id = fields.Many2one("res.partner", string="Contact", index="btree_not_null")
    employee_id = fields.Many2one("hr.employee", index="btree_not_null")
    email = fields.Char(
        string="E-mail",
        required=True,
        compute="_compute_from_match",
        store=True,
        readonly=False,
        precompute=True,
    )
    email_normalized = fields.Char(
        string="Normalised e-mail",
        compute="_compute_email_normalized",
        store=True,
        index=True,
        precompute=True,
    )
    name = fields.Char(compute="_compute_from_match", store=True, readonly=False, precompute=True)
    number = fields.Char(
        compute="_compute_number",
        store=True,
        compute_sudo=True,
        help="The matched record's number: the contact's reference or the employee's "
        "badge ID, else its database ID. Empty for a bare e-mail address.",
    )
    state = fields.Selection(
        selection=[("accepted", "Accepted"), ("declined", "Declined")],
        default="accepted",
        required=True,
        tracking=True,
        index=True,
    )
    declined_at = fields.Datetime(
        string="Declined on",
        copy=False,
        readonly=True,
        tracking=True,
        help="When the participant was declined: by hand (Decline), or when Mailjet reported "
        "the unsubscribe. The legal record of the unsubscribe; nobody can change it.",
    )
    source = fields.Selection(
        selection=[("erp", "ERP"), ("mailjet", "Mailjet")],
        default="erp",
        required=True,
        readonly=True,
    )
    mailjet_synced_state = fields.Selection(
        selection=[("accepted", "Subscribed"), ("declined", "Unsubscribed")],
        string="State in Mailjet",
        readonly=True,
        copy=False,
        help="What Mailjet last confirmed for this address; empty until the first sync.",
    )
    mailjet_ambiguous = fields.Boolean(
        string="Ambiguous match",
        readonly=True,
        copy=False,
        help="The address belongs to several employees or contacts, so none was linked.",
    )
    mailjet_refused_email = fields.Char(string="Address Mailjet refused", readonly=True, copy=False)
    mailjet_refused_reason = fields.Char(string="Mailjet's reason", readonly=True, copy=False)
    mailjet_error = fields.Char(
        string="Mailjet error",
        compute="_compute_mailjet_error",
        help="Why Mailjet refused this address; empty when all is well.",
    )
    consent_note = fields.Text(string="Consent", readonly=True, copy=False)
    consent_date = fields.Date(string="Consent given on", readonly=True, copy=False)
    consent_user_id = fields.Many2one(
        "res.users", string="Re-subscribed by", readonly=True, copy=False
    )
    consent_source = fields.Selection(
        selection=[
            ("erp", "Entered in the ERP"),
            ("widget", "Mailjet signup form"),
            ("manager", "Re-subscribed with consent"),
        ],
        string="Consent from",
        default="erp",
        readonly=True,
        copy=False,
        help="Where the consent to receive the newsletter comes from: entered in the ERP, "
        "given in Mailjet's signup form (with its time and IP address), or recorded by a "
        "campaign manager when re-subscribing.",
    )
    signup_at = fields.Datetime(string="Signed up on", readonly=True, copy=False)
    signup_ip = fields.Char(string="Signup IP address", readonly=True, copy=False)
    confirmed_at = fields.Datetime(
        string="Confirmed on",
        readonly=True,
        copy=False,
        help="When the recipient clicked the confirmation link of the signup (double opt-in).",
    )
    confirm_ip = fields.Char(string="Confirmation IP address", readonly=True, copy=False)
    mailjet_erased = fields.Boolean(
        string="Erased",
        readonly=True,
        copy=False,
        help="The personal data of this participant was erased (GDPR); only the decline remains.",
    )
    erased_email_hash = fields.Char(
        string="Fingerprint of the erased address", readonly=True, copy=False
    )
    active = fields.Boolean(default=True)
    # Bounce and spam protection: an address that bounced hard is no longer pushed as
    # subscribed (until it changes); a spam complaint is an unsubscribe.
    mailjet_bounced_email = fields.Char(
        string="Address that bounced",
        readonly=True,
        copy=False,
        help="The address Mailjet reported as bouncing permanently (hard bounce).",
    )
    mailjet_hard_bounce = fields.Boolean(
        string="Hard bounce",
        compute="_compute_mailjet_hard_bounce",
        store=True,
        help="Mailjet reported this address as permanently undeliverable. It is no longer "
        "sent to Mailjet as subscribed until the participant's address changes.",
    )
    mailjet_spam = fields.Boolean(
        string="Reported as spam",
        readonly=True,
        copy=False,
        help="The recipient marked a newsletter as spam: that is an unsubscribe, so the "
        "participant is declined.",
    )

    _sql_constraints = [
        (
            "email_campaign_uniq",
            "UNIQUE(campaign_id, email_normalized)",
            "This e-mail address is already a participant of the campaign (perhaps archived).",
        ),
    ]

    def init(self):
        """Participants entered with an address only, before they were named by it."""
        self.env.cr.execute(
            """UPDATE ems_campaign_participant
                  SET name = btrim(email)
                WHERE (name IS NULL OR name = '')
                  AND partner_id IS NULL AND employee_id IS NULL AND email IS NOT NULL"""
        )
        # Every sync writes the synced state, fingerprint or contact id of thousands of
        # rows. With half of each page left free, PostgreSQL rewrites such a row in place
        # (a "HOT" update) instead of adding it to all nine indexes: four times faster.
        # Existing rows take the free space as they are next written.
        self.env.cr.execute(
            "SELECT reloptions FROM pg_class WHERE oid = %s::regclass", [self._table]
        )
        if f"fillfactor={FILLFACTOR}" not in (self.env.cr.fetchone()[0] or []):
            self.env.cr.execute(
                SQL(
                    "ALTER TABLE %s SET (fillfactor = %s)",
                    SQL.identifier(self._table),
                    FILLFACTOR,
                )
            )
        # The sync asks, for every participant of a list, whether its address bounced hard
        # anywhere: a small index of the bounced addresses answers without reading the
        # whole table once per list.
        create_index(
            self.env.cr,
            "ems_campaign_participant_hard_bounce_email_index",
            self._table,
            ["email_normalized"],
            where="mailjet_hard_bounce",
        )

    @api.depends("partner_id", "employee_id")
    def _compute_from_match(self):
        for participant in self:
            employee = participant.employee_id.sudo()
            partner = participant.partner_id
            if employee:
                email = employee.work_email or employee.private_email
                participant.email = email or participant.email
                participant.name = employee.name
            elif partner:
                participant.email = partner.email or participant.email
                participant.name = partner.name

    mailjet_properties_at = fields.Datetime(
        string="Contact properties confirmed on",
        readonly=True,
        copy=False,
        help="When Mailjet last confirmed this participant's contact property values.",
    )
    mailjet_properties_synced = fields.Char(
        string="Contact properties confirmed",
        readonly=True,
        copy=False,
        help="Fingerprint of the contact property values Mailjet last confirmed; values "
        "are pushed again only when they change.",
    )
    # Who opened, who clicked: from Mailjet's webhook and the nightly read.
    mailjet_activity_ids = fields.One2many(
        "ems.mailjet.activity", "participant_id", string="Mailjet activity"
    )
    mailjet_sent_count = fields.Integer(
        string="Mailings received",
        compute="_compute_mailjet_activity",
        store=True,
        help="Mailjet mailings delivered to this participant.",
    )
    mailjet_open_count = fields.Integer(
        string="Mailings opened", compute="_compute_mailjet_activity", store=True
    )
    mailjet_click_count = fields.Integer(
        string="Mailings clicked", compute="_compute_mailjet_activity", store=True
    )
    mailjet_last_open_at = fields.Datetime(
        string="Last opened", compute="_compute_mailjet_activity", store=True
    )
    mailjet_last_click_at = fields.Datetime(
        string="Last clicked", compute="_compute_mailjet_activity", store=True
    )

    @api.depends(
        "mailjet_activity_ids.opened",
        "mailjet_activity_ids.clicked",
        "mailjet_activity_ids.opened_at",
        "mailjet_activity_ids.clicked_at",
    )
    def _compute_mailjet_activity(self):
        for participant in self:
            rows = participant.mailjet_activity_ids
            opened = rows.filtered("opened")
            clicked = rows.filtered("clicked")
            participant.mailjet_sent_count = len(rows.filtered(lambda r: not r.bounced))
            participant.mailjet_open_count = len(opened)
            participant.mailjet_click_count = len(clicked)
            participant.mailjet_last_open_at = max(opened.mapped("opened_at") or [False])
            participant.mailjet_last_click_at = max(clicked.mapped("clicked_at") or [False])

    @api.depends("email_normalized", "mailjet_bounced_email")
    def _compute_mailjet_hard_bounce(self):
        for participant in self:
            bounced = participant.mailjet_bounced_email
            participant.mailjet_hard_bounce = bool(bounced) and (
                bounced == participant.email_normalized
            )

    @api.depends("name", "email")
    def _compute_display_name(self):
        for participant in self:
            participant.display_name = participant.name or participant.email or ""

    @api.depends("email")
    def _compute_email_normalized(self):
        for participant in self:
            participant.email_normalized = normalize_email(participant.email or "")

    @api.depends("partner_id.ref", "employee_id.barcode")
    def _compute_number(self):
        for participant in self:
            if participant.employee_id:
                employee = participant.employee_id
                participant.number = employee.barcode or str(employee.id)
            elif participant.partner_id:
                partner = participant.partner_id
                participant.number = partner.ref or str(partner.id)
            else:
                participant.number = False

    @api.constrains("email")
    def _check_email(self):
        for participant in self:
            if participant.mailjet_erased:
                continue  # a placeholder, never sent anywhere
            try:
                validate_email(participant.email or "")
            except InvalidEmail as error:
                raise ValidationError(self._invalid_email_message(error)) from None

    def _invalid_email_message(self, error):
        """The engine's refusal (``InvalidEmail``) in the user's language."""
        return self._email_problem_text(error.code, error.params)

    @api.model
    def _email_problem_text(self, code, params):
        """One refused-address problem (a code of ``EMAIL_PROBLEMS``) in the user's
        language; ``params`` fills in the address (``email``) and a limit (``max``)."""
        _ = self.env._
        texts = {
            "email_empty": lambda p: _("The e-mail address is empty."),
            "email_spaces": lambda p: _(
                "The e-mail address %(email)s must not contain spaces.", **p
            ),
            "email_no_at": lambda p: _("The e-mail address %(email)s has no '@'.", **p),
            "email_many_at": lambda p: _(
                "The e-mail address %(email)s contains more than one '@'.", **p
            ),
            "email_nothing_before_at": lambda p: _(
                "The e-mail address %(email)s has nothing before the '@'.", **p
            ),
            "email_nothing_after_at": lambda p: _(
                "The e-mail address %(email)s has nothing after the '@'.", **p
            ),
            "email_local_dots": lambda p: _(
                "The part before the '@' of %(email)s must not start or end with a dot or "
                "contain two dots in a row.",
                **p,
            ),
            "email_domain_dots": lambda p: _(
                "The domain of %(email)s must not start or end with a dot or contain two "
                "dots in a row.",
                **p,
            ),
            "email_domain_no_dot": lambda p: _(
                "The domain of %(email)s has no dot; a domain looks like example.com.", **p
            ),
            "email_domain_invalid": lambda p: _(
                "The domain of %(email)s is not a valid domain name.", **p
            ),
            "email_too_long": lambda p: _(
                "The e-mail address %(email)s is longer than %(max)s characters.", **p
            ),
            "email_local_too_long": lambda p: _(
                "The part before the '@' of %(email)s is longer than %(max)s characters.", **p
            ),
            "email_local_not_ascii": lambda p: _(
                "The part before the '@' of %(email)s contains letters outside the basic "
                "Latin alphabet (such as ü or ß); only the domain after the '@' may contain "
                "them.",
                **p,
            ),
            "email_local_chars": lambda p: _(
                "The part before the '@' of %(email)s contains characters that are not allowed.",
                **p,
            ),
            "email_domain_chars": lambda p: _(
                "The domain of %(email)s contains characters that are not allowed.", **p
            ),
            "email_domain_reserved": lambda p: _(
                "The domain of %(email)s is reserved for special use (such as .local or "
                ".test) and cannot receive e-mail.",
                **p,
            ),
        }
        return texts[code](dict(params or {}))

    def _export_rows(self, fields, *, _is_toplevel_call=True):
        rows = super()._export_rows(fields, _is_toplevel_call=_is_toplevel_call)
        return [
            ["'" + v if isinstance(v, str) and v.startswith(_FORMULA_START) else v for v in row]
            for row in rows
        ]

    @api.model_create_multi
    def create(self, vals_list):
        now = fields.Datetime.now()
        for vals in vals_list:
            if vals.get("declined_at") and not self.env.su:
                self._raise_declined_at_is_read_only()
            if vals.get("state") == "declined" and not vals.get("declined_at"):
                vals["declined_at"] = now
            if not (vals.get("email") or "").strip():
                self._check_source_has_email(vals)
            elif not (vals.get("name") or vals.get("partner_id") or vals.get("employee_id")):
                # A bare address is shown by its address, as Mailjet signups are.
                vals["name"] = vals["email"].strip()
        self._check_no_duplicates(vals_list)
        records = super().create(vals_list)
        records._check_not_suppressed()
        return records

    def _check_not_suppressed(self):
        """An erased address is never added again, unless with the customer's consent."""
        if self.env.context.get("ems_consent_given"):
            return
        live = self.filtered(lambda p: not p.mailjet_erased and p.email_normalized)
        blocked = self.env["ems.mailjet.suppression"]._suppressed(live.mapped("email_normalized"))
        if blocked:
            raise ValidationError(
                self.env._(
                    "%(email)s was erased under data-protection law (GDPR) and cannot be "
                    "added to a campaign again. Only a campaign manager can lift the block, "
                    "with the customer's recorded consent: “Re-subscribe with consent” on the "
                    "erased participant.",
                    email=sorted(blocked)[0],
                )
            )

    def _raise_declined_at_is_read_only(self):
        raise UserError(
            self.env._(
                "The date of an unsubscribe is its legal record and cannot be changed by "
                "hand. Use “Decline” to decline a participant: it records the date itself."
            )
        )

    def _check_no_duplicates(self, vals_list):
        """One address once per campaign, archived participants included: say which
        address before the database refuses it."""
        wanted = []
        for vals in vals_list:
            email = (vals.get("email") or "").strip()
            if not email:
                employee = self.env["hr.employee"].sudo().browse(vals.get("employee_id") or [])
                partner = self.env["res.partner"].sudo().browse(vals.get("partner_id") or [])
                email = (
                    employee.work_email or employee.private_email if employee else partner.email
                ) or ""
            campaign_id = vals.get("campaign_id") or self.env.context.get("default_campaign_id")
            normalized = normalize_email(email)
            if campaign_id and normalized:
                wanted.append((campaign_id, normalized, email))
        if not wanted:
            return
        seen = set()
        for campaign_id, normalized, email in wanted:
            if (campaign_id, normalized) in seen:
                self._raise_duplicate(email, campaign_id)
            seen.add((campaign_id, normalized))
        existing = (
            self.sudo()
            .with_context(active_test=False)
            .search_fetch(
                [
                    ("campaign_id", "in", list({c for c, _n, _e in wanted})),
                    ("email_normalized", "in", list({n for _c, n, _e in wanted})),
                    ("id", "not in", self.ids),
                ],
                ["campaign_id", "email_normalized"],
            )
        )
        taken = {(p.campaign_id.id, p.email_normalized) for p in existing}
        for campaign_id, normalized, email in wanted:
            if (campaign_id, normalized) in taken:
                self._raise_duplicate(email, campaign_id)

    def _raise_duplicate(self, email, campaign_id):
        campaign = self.env["utm.campaign"].sudo().browse(campaign_id)
        raise ValidationError(
            self.env._(
                "%(email)s is already a participant of the campaign “%(campaign)s” (perhaps "
                "archived: look under the filter Archived).",
                email=email.strip(),
                campaign=campaign.title or campaign.name,
            )
        )

    def _check_source_has_email(self, vals):
        """Without an address of its own, the participant takes the partner's or the
        employee's: say clearly when that one has none (instead of a database error)."""
        employee = self.env["hr.employee"].sudo().browse(vals.get("employee_id") or [])
        partner = self.env["res.partner"].browse(vals.get("partner_id") or [])
        record = employee or partner
        if record and not (
            employee.work_email or employee.private_email if employee else partner.email
        ):
            raise ValidationError(
                self.env._(
                    "%(name)s has no e-mail address. Enter one on the participant or on "
                    "%(name)s first.",
                    name=record.display_name,
                )
            )
        if not record:
            raise ValidationError(self.env._("The e-mail address is empty."))

    def write(self, vals):
        if "declined_at" in vals and not self.env.su:
            consent = vals.get("state") == "accepted" and self.env.context.get("ems_consent_given")
            if not consent:
                self._raise_declined_at_is_read_only()
        if "email" in vals:
            self._check_email_not_synced(vals["email"])
            for participant in self:
                participant._check_no_duplicates(
                    [{"email": vals["email"], "campaign_id": participant.campaign_id.id}]
                )
            if not vals.get("name"):
                # A participant named by its address keeps showing its address.
                named_by_email = self.filtered(
                    lambda p: p.name and p.name == (p.email or "").strip()
                )
                if named_by_email and named_by_email != self:
                    super(EmsCampaignParticipant, named_by_email).write(
                        {"name": (vals["email"] or "").strip()}
                    )
                elif named_by_email:
                    vals = dict(vals, name=(vals["email"] or "").strip())
        if vals.get("state") == "accepted" and not self.env.context.get("ems_consent_given"):
            if any(p.state == "declined" for p in self):
                raise UserError(
                    self.env._(
                        "An unsubscribe is final. Only a campaign manager can re-subscribe "
                        "a declined participant, with the customer's consent: use "
                        "“Re-subscribe with consent”."
                    )
                )
        if vals.get("state") == "declined" and "declined_at" not in vals:
            to_stamp = self.filtered(lambda p: p.state != "declined")
            if to_stamp and to_stamp != self:
                super(EmsCampaignParticipant, to_stamp).write(
                    dict(vals, declined_at=fields.Datetime.now())
                )
                return super(EmsCampaignParticipant, self - to_stamp).write(vals)
            if to_stamp:
                vals = dict(vals, declined_at=fields.Datetime.now())
        result = super().write(vals)
        if {"email", "partner_id", "employee_id"} & set(vals):
            self._check_not_suppressed()
        return result

    def _check_email_not_synced(self, new_email):
        """An address Mailjet already has stays that participant's; a new address is a
        new participant (the old one can be declined)."""
        new = normalize_email(new_email or "")
        if self.env.context.get("ems_gdpr_erase"):
            return  # the erasure replaces the address by a placeholder
        for participant in self:
            if participant.mailjet_erased:
                continue  # only a placeholder to replace
            if participant.mailjet_synced_state and participant.email_normalized != new:
                raise UserError(
                    self.env._(
                        "%(email)s is already in the Mailjet list, so its address cannot be "
                        "changed. Add the new address as a new participant and decline the "
                        "existing participant.",
                        email=participant.email,
                    )
                )

    @api.ondelete(at_uninstall=False)
    def _unlink_except_in_mailjet(self):
        """Deleting an address Mailjet has would leave it subscribed there (and the next
        full read would bring it back): decline it instead."""
        if any(p.mailjet_synced_state == "accepted" for p in self):
            raise UserError(
                self.env._(
                    "This participant is subscribed in Mailjet. Decline it instead of "
                    "deleting it: the next synchronisation then unsubscribes it there too."
                )
            )

    @api.ondelete(at_uninstall=False)
    def _unlink_except_declined(self):
        if any(participant.state == "declined" for participant in self):
            raise UserError(
                self.env._(
                    "A declined participant cannot be deleted: the unsubscribe is a legal "
                    "record. Archive the participant instead."
                )
            )

    def action_mailjet_gdpr_erase(self):
        """Erase this person's data in Mailjet and in the campaigns (asks first)."""
        return self.env["ems.mailjet.gdpr.erase"]._open(self)

    @api.depends("mailjet_refused_email", "mailjet_refused_reason", "email_normalized")
    def _compute_mailjet_error(self):
        for participant in self:
            refused = participant.mailjet_refused_email
            if refused and refused == participant.email_normalized:
                participant.mailjet_error = render(
                    self.env,
                    "participant_refused",
                    {"detail": participant.mailjet_refused_reason or ""},
                )
            else:
                participant.mailjet_error = False

    def action_mailjet_try_again(self):
        """Send an address Mailjet refused once more at the next synchronisation."""
        self.write({"mailjet_refused_email": False, "mailjet_refused_reason": False})
        return True

    def action_decline(self):
        """Decline by hand (e.g. the customer phoned in): the next synchronisation
        unsubscribes the address in Mailjet too. Already declined participants keep
        their date."""
        to_decline = self.filtered(lambda p: p.state != "declined")
        if not to_decline:
            raise UserError(self.env._("The selected participants are already declined."))
        to_decline.write({"state": "declined"})
        body = self.env._("Declined by %(user)s.", user=self.env.user.name)
        # a log line, not a message: it needs no sender address and notifies nobody
        to_decline._message_log_batch(bodies=dict.fromkeys(to_decline.ids, body))
        return True

import hashlib

from odoo import api, fields, models

from ..services.emails import normalize_email


class EmsMailjetSuppression(models.Model):
    """An erased address (GDPR Art. 17): never sent to Mailjet again.

    Only the SHA-256 of the normalised address is kept, never the address itself, so the
    entry is no personal data in clear and still recognises the address when someone
    enters it again. Only the re-subscribe with the customer's recorded consent lifts it.
    """

    _name = "ems.mailjet.suppression"
    _description = "Erased address (blocked for Mailjet)"
    _order = "erased_on desc, id desc"
    _rec_name = "email_hash"

    email_hash = fields.Char(
        string="Address fingerprint",
        required=True,
        readonly=True,
        index=True,
        help="SHA-256 of the normalised e-mail address; the address itself is not kept.",
    )
    reason = fields.Selection(
        selection=[("erp", "Erased in the ERP"), ("mailjet", "Erased in Mailjet")],
        required=True,
        readonly=True,
    )
    erased_on = fields.Datetime(
        string="Erased on", required=True, readonly=True, default=fields.Datetime.now
    )

    _sql_constraints = [
        ("email_hash_uniq", "UNIQUE(email_hash)", "This address is already blocked."),
    ]

    @api.model
    def _hash(self, email):
        """The fingerprint of an address (normalised first, so spelling does not matter)."""
        return hashlib.sha256(normalize_email(email or "").encode()).hexdigest()

    @api.model
    def _suppressed(self, emails):
        """The subset of these addresses that is blocked."""
        by_hash = {self._hash(e): e for e in emails if e}
        if not by_hash:
            return set()
        found = self.sudo().search_fetch([("email_hash", "in", list(by_hash))], ["email_hash"])
        return {by_hash[h] for h in found.mapped("email_hash")}

    @api.model
    def _suppress(self, emails, reason):
        """Block these addresses (those already blocked stay as they are)."""
        hashes = {self._hash(e) for e in emails if e}
        known = set(
            self.sudo()
            .search_fetch([("email_hash", "in", list(hashes))], ["email_hash"])
            .mapped("email_hash")
        )
        new = sorted(hashes - known)
        if new:
            self.sudo().create([{"email_hash": h, "reason": reason} for h in new])

    @api.model
    def _lift(self, email):
        """Unblock an address (only with the customer's recorded consent)."""
        self.sudo().search([("email_hash", "=", self._hash(email))]).unlink()

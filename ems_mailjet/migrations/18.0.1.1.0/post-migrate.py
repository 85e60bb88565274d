"""Participants' normalised addresses in IDNA 2008.

Before 18.0.1.1.0 an internationalised domain was converted with IDNA 2003, which maps
``ß`` to ``ss``: ``info@straße.de`` was stored (and sent to Mailjet) as
``info@strasse.de``, a different domain with a different owner. Every participant whose
address is not plain ASCII gets its normalised address again, as the module computes it
now.

A participant Mailjet already has under the old spelling keeps a record of it: an
archived, declined participant with the old address and its Mailjet contact, so that the
next synchronisation unsubscribes the wrong address in Mailjet instead of importing it
back as a new signup; the participant itself is then pushed under its right address.
An address whose new spelling another participant of the campaign already has is left as
it was and named in the log, for a person to merge the two.
"""

import logging

from odoo import SUPERUSER_ID, api
from odoo.exceptions import ValidationError

from odoo.addons.ems_mailjet.services.emails import normalize_email

_logger = logging.getLogger(__name__)


def migrate(cr, version):
    if not version:
        return
    renormalise_participants(api.Environment(cr, SUPERUSER_ID, {}))


def renormalise_participants(env):
    """Recompute ``email_normalized`` where it changed; return the participants changed."""
    cr = env.cr
    env.flush_all()
    # Only an address with a character outside ASCII can be spelled differently now.
    cr.execute(
        """SELECT id, campaign_id, email, email_normalized, mailjet_synced_state,
                  mailjet_contact_id
             FROM ems_campaign_participant
            WHERE octet_length(email) <> char_length(email)
            ORDER BY id"""
    )
    rows = [row for row in cr.fetchall() if normalize_email(row[2]) != row[3]]
    if not rows:
        return env["ems.campaign.participant"]
    cr.execute(
        """SELECT campaign_id, email_normalized FROM ems_campaign_participant
            WHERE email_normalized = ANY(%s)""",
        [[normalize_email(row[2]) for row in rows]],
    )
    taken = set(cr.fetchall())
    participants = env["ems.campaign.participant"].with_context(
        active_test=False, tracking_disable=True, mail_create_nolog=True
    )
    changed = []
    for pid, campaign_id, email, old, synced_state, contact_id in rows:
        new = normalize_email(email)
        if (campaign_id, new) in taken:
            _logger.warning(
                "Participant %s keeps its address %s: participant of campaign %s with %s "
                "already exists; merge the two.",
                pid,
                old,
                campaign_id,
                new,
            )
            continue
        taken.add((campaign_id, new))
        cr.execute(
            """UPDATE ems_campaign_participant
                  SET email_normalized = %s, mailjet_synced_state = NULL,
                      mailjet_contact_id = NULL
                WHERE id = %s""",
            [new, pid],
        )
        if synced_state:
            _record_old_spelling(participants.browse(pid), old, synced_state, contact_id)
        changed.append(pid)
    env.invalidate_all()
    _logger.info("Normalised address in IDNA 2008 for %s participant(s).", len(changed))
    return participants.browse(changed)


def _record_old_spelling(participant, old, synced_state, contact_id):
    """An archived, declined participant with the address Mailjet has under the old
    spelling and its contact, so that the next synchronisation unsubscribes it there."""
    try:
        with participant.env.cr.savepoint():
            tombstone = participant.create(
                {
                    "campaign_id": participant.campaign_id.id,
                    "email": old,
                    "name": participant.name,
                    "state": "declined",
                }
            )
            tombstone.flush_recordset()
    except ValidationError:
        _logger.warning(
            "Mailjet has %s (contact %s) for participant %s under a spelling that is no "
            "longer a valid address: unsubscribe it in Mailjet by hand.",
            old,
            contact_id,
            participant.id,
        )
        return
    participant.env.cr.execute(
        """UPDATE ems_campaign_participant
              SET active = FALSE, mailjet_synced_state = %s, mailjet_contact_id = %s
            WHERE id = %s""",
        [synced_state, contact_id, tombstone.id],
    )

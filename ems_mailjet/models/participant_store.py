"""The Odoo side of one campaign for the sync engine (``services.sync.ParticipantStore``).

Not a model: thin glue that reads participants as snapshots and writes back what the
engine decided, in batches (no query per participant), without chatter or tracking noise.
"""

from odoo import fields
from odoo.tools import SQL

from ..services.matching import EmployeeRecord, PartnerRecord
from ..services.protection import BLACKLISTED, HARD_BOUNCE
from ..services.records import Checkpoint, Participant, external_id, stored_id
from ..services.sync import Summary

QUIET = {
    "tracking_disable": True,
    "mail_create_nolog": True,
    "mail_notrack": True,
    "mail_auto_subscribe_no_notify": True,
    "active_test": False,
}


class OdooParticipantStore:
    """One campaign's participants, for ``services.sync.sync_list``."""

    FIELDS = (
        "email",
        "name",
        "state",
        "declined_at",
        "mailjet_synced_state",
        "mailjet_contact_id",
        "mailjet_excluded",
        "mailjet_refused_email",
        "mailjet_properties_synced",
    )

    def __init__(self, campaign):
        self.campaign = campaign
        self.env = campaign.env(context=dict(campaign.env.context, **QUIET))
        self.model = self.env["ems.campaign.participant"].sudo()
        self.checkpoint = None  # a new checkpoint, for the campaign to write
        # Ids of the participants read whose property values wait for a check (no stamp),
        # for ``services.sync``; None until ``participants`` read them.
        self.unstamped_properties = None

    # ------------------------------------------------------------------ reading
    def participants(self):
        """Snapshots of the campaign's participants (erased ones left out), read with one
        plain query: a list of 5,000 would spend most of its time building ORM records."""
        self.model.flush_model()
        self.env.cr.execute(
            SQL(
                """SELECT id, email, name, state, declined_at, mailjet_synced_state,
                          mailjet_contact_id, mailjet_excluded, mailjet_refused_email,
                          email_normalized, mailjet_properties_synced,
                          mailjet_properties_at IS NULL
                     FROM ems_campaign_participant
                    WHERE campaign_id = %(campaign)s AND mailjet_erased IS NOT TRUE
                 ORDER BY id""",
                campaign=self.campaign.id,
            )
        )
        rows = self.env.cr.fetchall()
        self.unstamped_properties = frozenset(row[0] for row in rows if row[11])
        suppressed = self.env["ems.mailjet.suppression"]._suppressed({row[9] for row in rows})
        blocked = self._push_blocked()
        # Property values come from partners, employees and the campaign: one more query,
        # and only when the interface maps any.
        properties = self._properties()
        return [
            Participant(
                key=row[0],
                email=row[1] or "",
                name=row[2] or "",
                state=row[3],
                declined_at=row[4],
                synced_state=row[5] or None,
                mailjet_contact_id=external_id(row[6]),
                excluded=bool(row[7]),
                suppressed=row[9] in suppressed,
                refused_email=row[8] or "",
                push_blocked=blocked.get(row[0], ""),
                properties=properties.get(row[0]),
                properties_synced=row[10] or "",
            )
            for row in rows
        ]

    def maps_properties(self):
        """Whether the interface sends contact properties with the contacts."""
        return bool(self.campaign.sudo().mailjet_interface_id.property_ids)

    def _properties(self):
        """Participant id → its contact property values (Mailjet name → typed value),
        from the interface's property map; empty when the interface maps none. Read for
        the whole list at once: the participant's employee (its company, its work contact's
        language) or else its partner (its company or commercial company, else its parent),
        else the participant itself."""
        interface = self.campaign.sudo().mailjet_interface_id
        mapping = [(p.name, p.datatype, p.source) for p in interface.property_ids]
        if not mapping:
            return {}
        title = self.campaign.sudo()._mailjet_list_name() or ""
        self.model.flush_model(["partner_id", "employee_id", "name", "email", "number"])
        self.env["res.partner"].flush_model(
            ["name", "is_company", "commercial_company_name", "parent_id", "lang"]
        )
        self.env["hr.employee"].flush_model(["name", "company_id", "work_contact_id"])
        self.env["res.company"].flush_model(["name"])
        # Three queries, each through a primary key: joined in one, PostgreSQL would read
        # the whole partner table (twice) for every list (90 ms with 100,000 partners).
        self.env.cr.execute(
            SQL(
                """SELECT id, partner_id, employee_id, coalesce(name, ''), email, number,
                          email_normalized
                     FROM ems_campaign_participant
                    WHERE campaign_id = %(campaign)s AND mailjet_erased IS NOT TRUE""",
                campaign=self.campaign.id,
            )
        )
        rows = self.env.cr.fetchall()
        partners = self._rows_by_id(
            """SELECT r.id, coalesce(r.name, ''),
                      coalesce(nullif(CASE WHEN r.is_company THEN r.name
                                           ELSE r.commercial_company_name END, ''),
                               rp.name, ''),
                      coalesce(r.lang, '')
                 FROM res_partner r
            LEFT JOIN res_partner rp ON rp.id = r.parent_id
                WHERE r.id = ANY(%(ids)s)""",
            {row[1] for row in rows if row[1]},
        )
        employees = self._rows_by_id(
            """SELECT e.id, coalesce(e.name, ''), coalesce(ec.name, ''), coalesce(ew.lang, '')
                 FROM hr_employee e
            LEFT JOIN res_company ec ON ec.id = e.company_id
            LEFT JOIN res_partner ew ON ew.id = e.work_contact_id
                WHERE e.id = ANY(%(ids)s)""",
            {row[2] for row in rows if row[2]},
        )
        result = {}
        for pid, partner_id, employee_id, own_name, *address in rows:
            # the employee, else the partner, else the participant itself
            person = employees.get(employee_id) or partners.get(partner_id)
            name, company, lang = person or (own_name, "", "")
            sources = property_sources(name, company, lang, *address, title)
            result[pid] = {
                prop: _typed(sources.get(source), kind) for prop, kind, source in mapping
            }
        return result

    def _rows_by_id(self, query, ids):
        """id → the rest of the row, for the records with these ids (one query)."""
        if not ids:
            return {}
        self.env.cr.execute(SQL(query, ids=list(ids)))
        return {row[0]: row[1:] for row in self.env.cr.fetchall()}

    def set_property_fingerprints(self, fingerprints, confirmed=True):
        """Remember the fingerprints of the property values Mailjet holds, with one
        UPDATE. Values Mailjet just ``confirmed`` are stamped with the time; values only
        checked and found as confirmed before (``confirmed=False``) touch no row that
        already has them and its stamp: a night on which nothing changed writes nothing."""
        if not fingerprints:
            return
        columns = ["mailjet_properties_synced", "mailjet_properties_at"]
        self.model.flush_model(columns)
        keys, data = list(fingerprints), list(fingerprints.values())
        self.env.cr.execute(
            SQL(
                """UPDATE ems_campaign_participant p
                      SET mailjet_properties_synced = v.value,
                          mailjet_properties_at = %(now)s,
                          write_uid = %(uid)s, write_date = now() at time zone 'UTC'
                     FROM unnest(%(keys)s::int[], %(data)s::varchar[]) AS v(id, value)
                    WHERE p.id = v.id
                      AND (%(confirmed)s OR p.mailjet_properties_at IS NULL
                           OR p.mailjet_properties_synced IS DISTINCT FROM v.value)
                RETURNING p.id""",
                now=fields.Datetime.now(),
                uid=self.env.uid,
                keys=keys,
                data=data,
                confirmed=bool(confirmed),
            )
        )
        written = [row[0] for row in self.env.cr.fetchall()]
        self.model.browse(written).invalidate_recordset([*columns, "write_uid", "write_date"])

    def _push_blocked(self):
        """Participant id → why its address must not be pushed as subscribed: a hard
        bounce of that address (reported for any participant that still has it), or the
        address on Odoo's blacklist."""
        self.model.flush_model(["mailjet_hard_bounce", "email_normalized"])
        self.env["mail.blacklist"].flush_model(["email", "active"])
        # The few bounced and blacklisted addresses joined to the list (an index of the
        # bounced ones), not two lookups per participant.
        self.env.cr.execute(
            SQL(
                """SELECT p.id, bool_or(f.bounced)
                     FROM ems_campaign_participant p
                     JOIN (SELECT email_normalized AS email, true AS bounced
                             FROM ems_campaign_participant
                            WHERE mailjet_hard_bounce
                           UNION ALL
                           SELECT email, false FROM mail_blacklist WHERE active) AS f
                       ON f.email = p.email_normalized
                    WHERE p.campaign_id = %(campaign)s
                 GROUP BY p.id""",
                campaign=self.campaign.id,
            )
        )
        return {
            pid: HARD_BOUNCE if bounced else BLACKLISTED for pid, bounced in self.env.cr.fetchall()
        }

    def summary(self, excluded_emails):
        """``services.sync.Summary`` with one aggregate query: what the participants
        predict Mailjet holds, without loading them. Addresses are unique per campaign,
        so counting rows counts addresses; erased participants are left out as in
        ``participants``. A participant waiting for a push counts even when the engine will
        hold it back (a refused or suppressed address): such a list is synced in full."""
        self.model.flush_model()
        self.env.cr.execute(
            SQL(
                """SELECT count(*) FILTER (WHERE mailjet_synced_state IS NOT NULL),
                          count(*) FILTER (WHERE mailjet_synced_state = 'declined'),
                          count(*) FILTER (WHERE mailjet_synced_state IS NOT NULL
                                             AND mailjet_excluded),
                          count(*) FILTER (WHERE mailjet_synced_state IS DISTINCT FROM state),
                          count(*) FILTER (WHERE coalesce(mailjet_excluded, false)
                                                 <> (email_normalized = ANY(%(excluded)s))),
                          count(*) FILTER (WHERE %(maps)s AND state = 'accepted'
                                             AND mailjet_synced_state = 'accepted'
                                             AND (mailjet_properties_synced IS NULL
                                                  OR mailjet_properties_at IS NULL))
                     FROM ems_campaign_participant
                    WHERE campaign_id = %(campaign)s AND mailjet_erased IS NOT TRUE""",
                excluded=sorted(excluded_emails),
                campaign=self.campaign.id,
                maps=self.maps_properties(),
            )
        )
        return Summary(*self.env.cr.fetchone())

    def get_checkpoint(self):
        return Checkpoint.from_dict(self.campaign.sudo().mailjet_checkpoint)

    def set_checkpoint(self, checkpoint):
        # Kept here and written by the campaign with the rest of its values (one write).
        self.checkpoint = checkpoint.to_dict()

    def match_records(self, emails):
        """Candidates by address. Odoo keeps IDN domains in Unicode while the engine
        writes them in punycode, so both spellings are searched; the index compares."""
        emails = sorted({variant for email in emails for variant in _spellings(email)})
        if not emails:
            return [], []
        cr = self.env.cr
        cr.execute(
            SQL(
                """SELECT id, work_email, private_email, work_contact_id, name
                     FROM hr_employee
                    WHERE active
                      AND (lower(trim(work_email)) = ANY(%(emails)s)
                           OR lower(trim(private_email)) = ANY(%(emails)s))""",
                emails=emails,
            )
        )
        employees = [
            EmployeeRecord(
                id=r[0],
                work_email=r[1],
                private_email=r[2],
                work_contact_partner_id=r[3],
                name=r[4] or "",
            )
            for r in cr.fetchall()
        ]
        cr.execute(
            SQL(
                """SELECT id, email, ref, name FROM res_partner
                    WHERE active AND email_normalized = ANY(%(emails)s)""",
                emails=emails,
            )
        )
        partners = [
            PartnerRecord(id=r[0], email=r[1], ref=r[2], name=r[3] or "") for r in cr.fetchall()
        ]
        return employees, partners

    # ------------------------------------------------------------------ writing
    def decline(self, declines):
        now = fields.Datetime.now()
        for decline in declines:
            when = _to_odoo_datetime(decline.when) or now
            participant = self.model.browse(decline.key)
            if participant.state != "declined":
                # What Mailjet holds is recorded by mark_synced (the engine's protocol).
                participant.write({"state": "declined", "declined_at": when})

    def add_participants(self, new):
        """Create the new participants; return their ids by address."""
        self.model.flush_model(["campaign_id", "email_normalized"])
        self.env.cr.execute(
            SQL(
                "SELECT email_normalized FROM ems_campaign_participant"
                " WHERE campaign_id = %(campaign)s",
                campaign=self.campaign.id,
            )
        )
        existing = {row[0] for row in self.env.cr.fetchall()}
        # An erased address comes back only with the customer's consent recorded by a
        # campaign manager, not with a signup the sync reads.
        existing |= self.env["ems.mailjet.suppression"]._suppressed({p.email for p in new})
        vals_list = []
        for person in new:
            if person.email in existing:
                continue
            existing.add(person.email)
            vals = {
                "campaign_id": self.campaign.id,
                "email": person.email,
                "state": person.state,
                "declined_at": _to_odoo_datetime(person.declined_at),
                "source": "mailjet",
                "mailjet_synced_state": person.synced_state,
                "mailjet_contact_id": stored_id(person.contact_id),
                "mailjet_excluded": person.excluded,
                "mailjet_ambiguous": person.ambiguous,
                "consent_source": "widget" if person.signup_at else False,
                "signup_at": _to_odoo_datetime(person.signup_at),
                "signup_ip": person.signup_ip or False,
                "confirmed_at": _to_odoo_datetime(person.confirmed_at),
                "confirm_ip": person.confirm_ip or False,
            }
            # A matched record brings its own name, e-mail stays as signed up.
            if person.match_kind == "employee":
                vals["employee_id"] = person.match_id
            elif person.match_kind == "partner":
                vals["partner_id"] = person.match_id
            else:
                vals["name"] = person.name or person.email
            vals_list.append(vals)
        if not vals_list:
            return {}
        created = self.model.create(vals_list)
        # The matched partner or employee shows the contact id and exclusion too.
        self._propagate("mailjet_contact_id", created.ids)
        self._propagate("mailjet_excluded", created.ids)
        return {vals["email"]: p.id for vals, p in zip(vals_list, created, strict=True)}

    def erased_in_mailjet(self, erased):
        """The contact was erased in Mailjet (GDPR): block the address for good and say so
        on the participants, without quoting it."""
        self.env["ems.mailjet.suppression"]._suppress(set(erased.values()), "mailjet")
        participants = self.model.browse(list(erased))
        body = self.env._(
            "The contact was erased in Mailjet (GDPR): declined, and the address is blocked "
            "for Mailjet."
        )
        participants._message_log_batch(bodies=dict.fromkeys(participants.ids, body))

    def mark_synced(self, states):
        # One UPDATE whatever the size of the list (the ORM writes 100 rows per query);
        # the field is not tracked and nothing is computed from it.
        self._bulk_update("mailjet_synced_state", states, "varchar")

    def mark_synced_with_properties(self, states, fingerprints):
        """``mark_synced`` and ``set_property_fingerprints`` (confirmed) of one push in one
        UPDATE: a second UPDATE of rows this transaction already wrote costs as much again,
        and more (PostgreSQL then checks every foreign key of the row once more)."""
        keys = list(states.keys() | fingerprints.keys())
        if not keys:
            return
        columns = ["mailjet_synced_state", "mailjet_properties_synced", "mailjet_properties_at"]
        self.model.flush_model(columns)
        self.env.cr.execute(
            SQL(
                """UPDATE ems_campaign_participant p
                      SET mailjet_synced_state = coalesce(v.state, p.mailjet_synced_state),
                          mailjet_properties_synced = CASE WHEN v.fingerprint IS NULL
                              THEN p.mailjet_properties_synced ELSE v.fingerprint END,
                          mailjet_properties_at = CASE WHEN v.fingerprint IS NULL
                              THEN p.mailjet_properties_at ELSE %(now)s END,
                          write_uid = %(uid)s, write_date = now() at time zone 'UTC'
                     FROM unnest(%(keys)s::int[], %(states)s::varchar[],
                                 %(fingerprints)s::varchar[]) AS v(id, state, fingerprint)
                    WHERE p.id = v.id""",
                now=fields.Datetime.now(),
                uid=self.env.uid,
                keys=keys,
                states=[states.get(key) for key in keys],
                fingerprints=[fingerprints.get(key) for key in keys],
            )
        )
        self.model.browse(keys).invalidate_recordset([*columns, "write_uid", "write_date"])

    def set_contact_ids(self, ids):
        self._bulk_update(
            "mailjet_contact_id", {k: stored_id(v) for k, v in ids.items()}, "varchar"
        )
        self._propagate("mailjet_contact_id", ids.keys())

    def mark_refused(self, refusals):
        self._bulk_update(
            "mailjet_refused_email", {k: v[0] for k, v in refusals.items()}, "varchar"
        )
        self._bulk_update(
            "mailjet_refused_reason", {k: v[1][:500] for k, v in refusals.items()}, "varchar"
        )

    def set_exclusions(self, flags):
        self._bulk_update("mailjet_excluded", flags, "boolean")
        self._propagate("mailjet_excluded", flags.keys())

    def _bulk_update(self, column, values, sql_type):
        """One UPDATE for many participants with different values."""
        if not values:
            return
        self.model.flush_model([column])
        keys, data = list(values), list(values.values())
        self.env.cr.execute(
            SQL(
                """UPDATE ems_campaign_participant p
                      SET %(column)s = v.value::%(type)s, write_uid = %(uid)s,
                          write_date = now() at time zone 'UTC'
                     FROM unnest(%(keys)s::int[], %(data)s::text[]) AS v(id, value)
                    WHERE p.id = v.id""",
                column=SQL.identifier(column),
                type=SQL(sql_type),
                uid=self.env.uid,
                keys=keys,
                data=[str(d) if d is not None else None for d in data],
            )
        )
        self.model.browse(keys).invalidate_recordset([column, "write_uid", "write_date"])

    def _propagate(self, field_name, keys):
        """Exclusions and contact ids also show on the linked partner or employee: one
        read of the participants' values, then one UPDATE per table through its primary
        key, of the records whose value differs (the fields are plain, nothing is
        computed from them). Joined in one statement, PostgreSQL would read the whole
        partner table for every list."""
        keys = list(keys)
        if not keys:
            return
        sql_type = "boolean" if field_name == "mailjet_excluded" else "varchar"
        for target, model_name in (("partner_id", "res.partner"), ("employee_id", "hr.employee")):
            self.env.cr.execute(
                SQL(
                    """SELECT %(link)s, %(column)s FROM ems_campaign_participant
                        WHERE id = ANY(%(keys)s) AND %(link)s IS NOT NULL ORDER BY id""",
                    column=SQL.identifier(field_name),
                    link=SQL.identifier(target),
                    keys=keys,
                )
            )
            values = dict(self.env.cr.fetchall())
            if not values:
                continue
            model = self.env[model_name].sudo()
            model.flush_model([field_name])
            self.env.cr.execute(
                SQL(
                    """UPDATE %(table)s r
                          SET %(column)s = v.value::%(type)s, write_uid = %(uid)s,
                              write_date = now() at time zone 'UTC'
                         FROM unnest(%(ids)s::int[], %(values)s::text[]) AS v(id, value)
                        WHERE r.id = v.id AND r.%(column)s IS DISTINCT FROM v.value::%(type)s
                    RETURNING r.id""",
                    table=SQL.identifier(model._table),
                    column=SQL.identifier(field_name),
                    type=SQL(sql_type),
                    uid=self.env.uid,
                    ids=list(values),
                    values=[None if v is None else str(v) for v in values.values()],
                )
            )
            changed = [r[0] for r in self.env.cr.fetchall()]
            model.browse(changed).invalidate_recordset([field_name, "write_uid", "write_date"])


def property_sources(name, company, lang, email, number, email_normalized, campaign_title):
    """The values a contact property can be taken from, for one participant: its name,
    company and language as ``OdooParticipantStore._properties`` reads them, its own
    address, number and normalised address, and the campaign's title."""
    if name == email:
        name = ""  # a bare address is not a name
    words = name.split()
    return {
        "first_name": " ".join(words[:-1]) if len(words) > 1 else name,
        "last_name": words[-1] if len(words) > 1 else "",
        "name": name,
        "company": company,
        "language": lang,
        "number": number or "",
        "email": email_normalized or "",
        "campaign": campaign_title,
    }


def _typed(value, kind):
    """A source value as the property's Mailjet type (None when it has none)."""
    if kind == "str":
        return "" if value in (None, False) else str(value)
    if value in (None, False, ""):
        return None
    try:
        if kind == "int":
            return int(value)
        if kind == "float":
            return float(value)
    except (TypeError, ValueError):
        return None
    if kind == "bool":
        return bool(value)
    return None


def _spellings(email):
    """The address as given and, for a punycode domain, with its Unicode domain."""
    yield email
    local, _at, domain = email.rpartition("@")
    if "xn--" in domain:
        try:
            yield f"{local}@{domain.encode('ascii').decode('idna')}"
        except UnicodeError:
            return  # not valid IDNA: only the address as given


def _to_odoo_datetime(moment):
    """An aware datetime from the engine as Odoo's naive UTC."""
    if not moment:
        return False
    if moment.utcoffset() is not None:
        moment = (moment - moment.utcoffset()).replace(tzinfo=None)
    return moment

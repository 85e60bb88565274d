"""Every run-log line, error and notification a sync can produce, in the reader's language.

The engine reports codes with parameters (``services.notes``); this is the one table
that turns a code into a sentence. A line is rendered when it is read, through
``env._``, so a German reader sees German and an English one English. The tests check
that every engine code has an entry and that German differs from English for each.
"""

from odoo import fields
from odoo.tools.misc import format_datetime
from odoo.tools.translate import LazyTranslate

from ..services.notes import CAUSES, CODES, ERROR, INFO, OPERATIONS, WARNING

_lt = LazyTranslate(__name__)

# Lines the Odoo side adds around the engine's, with their level.
ODOO_CODES = {
    "another_run_running": INFO,
    "webhook_dead": WARNING,  # Mailjet suspended the webhook; register it again
    "webhook_alive": INFO,  # the answer of "Check webhook"
    "webhook_none": INFO,
    "participant_refused": ERROR,  # detail: the participant's own "Mailjet error" field
    "run_interrupted": WARNING,
    "window_ended": INFO,  # count
    "no_credentials": ERROR,
    "webhook_unsubscribed": INFO,  # email, campaign, date, tz
    "webhook_spam": INFO,  # email, campaign, date, tz
    "webhook_confirmed": INFO,  # count
    "webhook_reported": INFO,  # count
    "webhook_hard_bounce": WARNING,  # email, detail
    "webhook_blocked": INFO,  # email, detail
    "webhook_blacklisted_spam": INFO,  # email
    "webhook_blacklisted_bounce": INFO,  # email
}
LEVELS = {**CODES, **ODOO_CODES}

MESSAGES = {
    # ------------------------------------------------------------- one address
    # The reason names the address and says why; never sent to Mailjet.
    "invalid_address": _lt("%(email)s: %(reason)s"),
    "signup_invalid_address": _lt("Signup %(email)s not imported from Mailjet: %(reason)s"),
    "contact_refused": _lt("Mailjet refused %(email)s: %(detail)s"),
    "resignup_kept_declined": _lt(
        "%(email)s signed up again in Mailjet but is declined in the ERP; kept declined "
        "(use 'Re-subscribe with consent' if the customer agreed)."
    ),
    "ambiguous_match": _lt(
        "%(email)s matches %(count)s employees/partners; kept with the address only."
    ),
    "erased_in_mailjet": _lt(
        "%(count)s participant(s) declined: their contact was erased in Mailjet (GDPR). The "
        "address is blocked and will not be sent to Mailjet again."
    ),
    # ------------------------------------------------------------- bulk jobs
    "job_failed": _lt(
        "Mailjet job %(job_id)s (%(action)s, %(count)s contacts) failed: %(detail)s. "
        "These contacts will be sent again on the next run."
    ),
    "job_unconfirmed": _lt(
        "Mailjet job %(job_id)s (%(action)s) could not say what became of %(count)s "
        "contact(s). They will be sent again on the next run."
    ),
    "job_unfinished": _lt(
        "Mailjet job %(job_id)s (%(action)s, %(count)s contacts) did not finish in time. "
        "These contacts will be sent again on the next run."
    ),
    # ------------------------------------------------------------- lists
    "list_no_name": _lt("The campaign has no name, so it cannot have a Mailjet list."),
    "list_name_taken": _lt("Another campaign already uses the list name '%(name)s'."),
    "list_deleted": _lt(
        "Mailjet list %(list_id)s ('%(name)s') was deleted in Mailjet. Nothing was sent and "
        "no list was created: on the campaign, reinstate the list in Mailjet or start a new "
        "list."
    ),
    "list_renamed": _lt("Mailjet list renamed to '%(name)s'."),
    "list_recreated": _lt(
        "Mailjet list %(old_id)s no longer exists (deleted, or another Mailjet account); it "
        "was created again as list %(new_id)s and the participants were sent to it. "
        "Unsubscribes made in the old list since the last synchronisation could not be read."
    ),
    # ------------------------------------------------------------- Mailjet as a whole
    "auth_failed": _lt(
        "Mailjet rejected the API key or the API password (HTTP %(status)s). Check both on "
        "the interface."
    ),
    "auth_forbidden": _lt(
        "Mailjet refused access for this API key (HTTP %(status)s). Check that the key is "
        "active and allowed to manage contacts."
    ),
    "mailjet_unavailable": _lt(
        "Mailjet could not be reached or did not answer (%(request)s), even after "
        "%(attempts)s attempts: %(why)s."
    ),
    "mailjet_rejected": _lt("Mailjet refused %(request)s: %(detail)s"),
    "mailjet_not_found": _lt("Mailjet does not know %(request)s (HTTP 404)."),
    # ------------------------------------------------------------- the run itself
    "another_run_running": _lt("Another synchronisation of this interface is running."),
    "run_interrupted": _lt(
        "Interrupted: the process running this synchronisation stopped before it finished. "
        "What it had saved is kept; the following run continues from there."
    ),
    "window_ended": _lt("The sync window ended; %(count)s list(s) continue next time."),
    "no_credentials": _lt("Enter the API key and the API password first."),
    "webhook_dead": _lt(
        "Mailjet has suspended this database's webhook, so unsubscribes arrive only with "
        "the synchronisations. Click 'Register in Mailjet' on the interface: the webhook "
        "gets a new address and Mailjet posts to it again."
    ),
    "webhook_none": _lt(
        "No webhook of this database is registered in Mailjet; unsubscribes arrive with "
        "the synchronisations. Click 'Register in Mailjet' to have them within seconds."
    ),
    "webhook_alive": _lt("Mailjet posts unsubscribes to this database's webhook."),
    "participant_refused": _lt(
        "Mailjet refused this address (%(detail)s). It is not sent again until the address "
        "changes or you click 'Try again'."
    ),
    "webhook_unsubscribed": _lt(
        "%(email)s declined in %(campaign)s: unsubscribed in Mailjet on %(date)s."
    ),
    "webhook_spam": _lt(
        "%(email)s declined in %(campaign)s: reported as spam in Mailjet on %(date)s."
    ),
    "webhook_confirmed": _lt(
        "%(count)s participant(s) were already declined; Mailjet confirmed the unsubscribe."
    ),
    "webhook_reported": _lt(
        "%(count)s hard bounce(s) or blocked message(s) reported by Mailjet; nothing changed "
        "for them."
    ),
    "webhook_hard_bounce": _lt(
        "%(email)s bounced permanently (%(detail)s): it is no longer sent to Mailjet as "
        "subscribed until its address changes."
    ),
    "webhook_blocked": _lt("Mailjet blocked a message to %(email)s (%(detail)s)."),
    "webhook_blacklisted_spam": _lt(
        "%(email)s reported a newsletter as spam and was put on Odoo's blacklist."
    ),
    "webhook_blacklisted_bounce": _lt(
        "%(email)s bounced permanently and was put on Odoo's blacklist."
    ),
    "push_held_back_bounce": _lt(
        "%(email)s is not sent to Mailjet as subscribed: it bounced permanently. Change the "
        "address to send it again."
    ),
    "push_held_back_blacklist": _lt(
        "%(email)s is not sent to Mailjet as subscribed: it is on Odoo's blacklist."
    ),
    # ------------------------------------------------------------- what a request was for
    "op_lists": _lt("the contact lists"),
    "op_create_list": _lt("creating the list '%(name)s'"),
    "op_reinstate_list": _lt("reinstating list %(list_id)s"),
    "op_rename_list": _lt("renaming list %(list_id)s to '%(name)s'"),
    "op_count_members": _lt("the number of members of list %(list_id)s"),
    "op_count_excluded": _lt("the number of excluded contacts of list %(list_id)s"),
    "op_list_members": _lt("the members of list %(list_id)s"),
    "op_list_contacts": _lt("the contacts of list %(list_id)s"),
    "op_contact": _lt("contact %(contact_id)s"),
    "op_delete_contact": _lt("erasing contact %(contact_id)s"),
    "op_excluded": _lt("the contacts excluded from marketing"),
    "op_signups": _lt("the signups of list %(list_id)s"),
    "op_all_signups": _lt("the signups of all lists"),
    "op_all_unsubscribed": _lt("the unsubscribed members of all lists"),
    "op_contact_emails": _lt("the addresses of all contacts"),
    "op_list_statistics": _lt("the statistics of list %(list_id)s"),
    "op_list_campaigns": _lt("the campaigns of list %(list_id)s"),
    "op_campaign_statistics": _lt("the statistics of campaign %(campaign_id)s"),
    "op_campaign_messages": _lt("the messages of Mailjet campaign %(campaign_id)s"),
    "op_properties": _lt("the contact property definitions"),
    "op_create_property": _lt("defining the contact property '%(name)s'"),
    "op_push": _lt("sending %(count)s contacts to list %(list_id)s (%(action)s)"),
    "op_job_state": _lt("the state of job %(job_id)s"),
    "op_job_errors": _lt("the errors of job %(job_id)s"),
    "op_event_callbacks": _lt("the event callbacks"),
    "op_event_callback": _lt("the %(event_type)s event callback"),
    "op_resubscribe": _lt("re-subscribing %(email)s"),
    # ------------------------------------------------------------- why Mailjet was unavailable
    "cause_rate_limit": _lt("rate limit, HTTP 429"),
    "cause_http_status": _lt("HTTP %(status)s"),
    "cause_timeout": _lt("timeout"),
    "cause_connection_failed": _lt("connection failed"),
    "cause_unreadable_answer": _lt("unreadable answer"),
    "cause_no_answer": _lt("no answer"),
}


def rendered_codes():
    """Every code this table must render: the engine's, its requests and causes, ours."""
    return (
        set(CODES)
        | set(ODOO_CODES)
        | {f"op_{op}" for op in OPERATIONS}
        | {f"cause_{cause}" for cause in CAUSES}
    )


class _Params(dict):
    """Parameters for ``%``: a missing one renders empty instead of failing the read."""

    def __missing__(self, key):
        return ""


def render(env, code, params=None):
    """The sentence of one code in ``env``'s language."""
    template = MESSAGES.get(code)
    params = _Params(params or {})
    if template is None:  # a code from a newer version; say what we know
        return f"{code} {dict(params)}"
    plain = {k: v for k, v in params.items() if k not in ("op", "cause", "reason_code")}
    if params.get("op"):
        params["request"] = render(env, f"op_{params['op']}", plain)
    if params.get("cause"):
        params["why"] = render(env, f"cause_{params['cause']}", plain)
    if params.get("reason_code"):
        params["reason"] = env["ems.campaign.participant"]._email_problem_text(
            params["reason_code"], params.get("reason_params") or {}
        )
    if params.get("date"):
        zone = params.get("tz") or "UTC"
        moment = fields.Datetime.from_string(params["date"])
        params["date"] = f"{format_datetime(env, moment, tz=zone, dt_format='medium')} ({zone})"
    sentence = env._(template)  # the reader's language; parameters filled in below
    return sentence % params

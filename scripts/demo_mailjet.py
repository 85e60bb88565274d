"""Connect the demo database to the local Mailjet sandbox and synchronise (`make run`).

Run by ``scripts/run_demo.py`` with the Python that imports Odoo 18, before Odoo serves:

    python3 scripts/demo_mailjet.py -c var/odoo-demo.conf -d ems_demo \\
        --sandbox-url http://127.0.0.1:PORT/ --api-key demo-key --api-secret demo-secret

1. creates or updates the interface "Mailjet (local sandbox)" (remembered by the XML id
   ``__ems_demo__.mailjet_sandbox_interface``) with the sandbox's URL and credentials, and
   makes the newsletter demo campaigns use it;
2. runs one synchronisation (``ems.interface._sync_now``);
3. when the sandbox holds no Mailjet campaign yet — a new state file, i.e. the first demo
   start — plays what real people do on Mailjet's side: two widget signups on the
   newsletter list (the work address of the demo employee ``hr.employee_al`` and a
   stranger), one unsubscribe of an existing participant, a sent Mailjet campaign with
   statistics; then clears the statistics timestamp (they are re-read only every 6 hours)
   and runs a second synchronisation.

It also keeps the demo database local: the crons that would call Odoo's online services
(update notification, partner autocomplete, SMS and snailmail queues) are switched off and
the IAP endpoints point at 127.0.0.1:9, where nothing answers.

Everything is committed. Idempotent: later starts only update the URL and run one sync.
Prints a short summary; exit status 1 when a synchronisation failed.
"""

import argparse
import json
import sys
import urllib.request

INTERFACE_XMLID = ("__ems_demo__", "mailjet_sandbox_interface")
INTERFACE_NAME = "Mailjet (local sandbox)"
NEWSLETTER = "ems_mailjet.demo_campaign_newsletter"
CAMPAIGNS = (NEWSLETTER, "ems_mailjet.demo_campaign_staff")
STRANGER = ("new.reader@example.com", "New Reader")
UNSUBSCRIBER = "ems_mailjet.demo_participant_partner_1"
MAILJET_CAMPAIGN = {
    "Subject": "Monthly customer newsletter – March",
    "FromEmail": "newsletter@example.com",
    "FromName": "YourCompany",
    "stats": {
        "MessageSentCount": 1240,
        "MessageOpenedCount": 583,
        "MessageClickedCount": 147,
        "MessageUnsubscribedCount": 9,
        "MessageHardBouncedCount": 6,
        "MessageSoftBouncedCount": 11,
        "MessageSpamCount": 2,
    },
}


def control(base_url, method, name, body=None):
    """One call to the sandbox's ``/_sandbox/`` control endpoints (loopback only)."""
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(
        f"{base_url}_sandbox/{name}",
        data=data,
        method=method,
        headers={"Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        return json.loads(response.read() or b"null")


# Odoo services outside this machine that the demo database must not call.
NO_WHERE = "http://127.0.0.1:9"
OUTSIDE_CRONS = (
    "mail.ir_cron_module_update_notification",
    "partner_autocomplete.ir_cron_partner_autocomplete",
    "sms.ir_cron_sms_scheduler_action",
    "snailmail.snailmail_print",
)
OUTSIDE_ENDPOINTS = (
    "iap.endpoint",
    "iap.partner_autocomplete.endpoint",
    "sms.endpoint",
    "snailmail.endpoint",
)


def keep_local(env):
    for xmlid in OUTSIDE_CRONS:
        cron = env.ref(xmlid, raise_if_not_found=False)
        if cron and cron.active:
            cron.active = False
    params = env["ir.config_parameter"].sudo()
    for key in OUTSIDE_ENDPOINTS:
        if params.get_param(key) != NO_WHERE:
            params.set_param(key, NO_WHERE)


def ensure_interface(env, args):
    interface = env.ref(".".join(INTERFACE_XMLID), raise_if_not_found=False)
    values = {
        "name": INTERFACE_NAME,
        "interface_type": "mailjet",
        "api_key": args.api_key,
        "api_url": args.sandbox_url,
        "tz": "Europe/Berlin",
        "active": True,
    }
    if interface:
        changed = {
            key: value
            for key, value in values.items()
            if key not in ("name",) and interface[key] != value
        }
        if interface.api_secret != args.api_secret:
            changed["api_secret"] = args.api_secret
        if changed:
            interface.write(changed)
    else:
        interface = env["ems.interface"].create(dict(values, api_secret=args.api_secret))
        env["ir.model.data"].create(
            {
                "module": INTERFACE_XMLID[0],
                "name": INTERFACE_XMLID[1],
                "model": "ems.interface",
                "res_id": interface.id,
                "noupdate": True,
            }
        )
    for xmlid in CAMPAIGNS:
        campaign = env.ref(xmlid, raise_if_not_found=False)
        if campaign and campaign.mailjet_interface_id != interface:
            campaign.mailjet_interface_id = interface
    return interface


def sync(env, interface, label):
    run = interface._sync_now()
    env.cr.commit()
    print(
        f"  {label}: {run.state} in {run.duration:.1f} s — pushed {run.pushed}, "
        f"declined from Mailjet {run.declined_from_mailjet}, new signups {run.new_signups} "
        f"({run.matched} matched), errors {run.errors}, API calls {run.api_calls}",
        flush=True,
    )
    if run.log:
        for line in run.log.splitlines():
            print(f"    {line}", flush=True)
    return run


def play_the_outside_world(env, url):
    """What subscribers and the marketing team do on Mailjet between two syncs."""
    newsletter = env.ref(NEWSLETTER)
    list_id = int(newsletter.mailjet_list_id)
    employee = env.ref("hr.employee_al")
    control(
        url,
        "POST",
        "signup",
        {"ListID": list_id, "Email": employee.work_email, "Name": employee.name},
    )
    control(url, "POST", "signup", {"ListID": list_id, "Email": STRANGER[0], "Name": STRANGER[1]})
    leaving = env.ref(UNSUBSCRIBER).email
    control(url, "POST", "unsubscribe", {"ListID": list_id, "Email": leaving})
    control(url, "POST", "campaign", dict(MAILJET_CAMPAIGN, ListID=list_id))
    print(
        f"  Mailjet side: widget signups of {employee.work_email} (employee {employee.name}) "
        f"and {STRANGER[0]}; {leaving} unsubscribed; campaign "
        f"{MAILJET_CAMPAIGN['Subject']!r} sent",
        flush=True,
    )
    # Statistics are read at most every 6 hours; the demo wants them now.
    newsletter.mailjet_stats_at = False
    env.cr.commit()


def summary(env):
    newsletter = env.ref(NEWSLETTER)
    participants = newsletter.with_context(active_test=False).participant_ids
    from_mailjet = participants.filtered(lambda p: p.source == "mailjet")
    print(
        f"  {newsletter.title!r}: Mailjet list {newsletter.mailjet_list_id}, "
        f"{newsletter.participant_accepted_count} accepted / "
        f"{newsletter.participant_declined_count} declined participants, "
        f"{len(from_mailjet)} from Mailjet; Mailjet counts {newsletter.mailjet_count_total} "
        f"contacts ({newsletter.mailjet_count_subscribed} subscribed); "
        f"{newsletter.mailjet_stat_sent} sent, {newsletter.mailjet_stat_opened} opened",
        flush=True,
    )


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("-c", "--config", required=True)
    parser.add_argument("-d", "--database", required=True)
    parser.add_argument("--sandbox-url", required=True)
    parser.add_argument("--api-key", required=True)
    parser.add_argument("--api-secret", required=True)
    args = parser.parse_args()
    if not args.sandbox_url.endswith("/"):
        args.sandbox_url += "/"

    import odoo  # noqa: PLC0415  (only with the Odoo Python)
    from odoo import SUPERUSER_ID, api  # noqa: PLC0415
    from odoo.modules.registry import Registry  # noqa: PLC0415

    odoo.tools.config.parse_config(
        ["-c", args.config, "-d", args.database, "--log-level=warn", "--max-cron-threads=0"]
    )
    registry = Registry(args.database)
    with registry.cursor() as cr:
        env = api.Environment(cr, SUPERUSER_ID, {"tz": "Europe/Berlin"})
        keep_local(env)
        interface = ensure_interface(env, args)
        env.cr.commit()
        first = not control(args.sandbox_url, "GET", "state").get("campaigns")
        runs = [sync(env, interface, "sync")]
        if first and runs[0].state in ("done", "partial"):
            play_the_outside_world(env, args.sandbox_url)
            runs.append(sync(env, interface, "second sync"))
        summary(env)
        failed = any(run.state == "failed" for run in runs)
        env.cr.commit()
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())

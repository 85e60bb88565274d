"""Find out how a Mailjet account behaves where Mailjet's documentation is silent.

    python3 scripts/mailjet_probe.py --api-key KEY --api-secret SECRET [--api-url URL]

Run it once against the customer's real account (it needs only ``mailjet-rest``). It
creates a throwaway contact list named ``ems-mailjet-probe-<time>-<random>``, pushes three
contacts to it (addresses ``ems-probe-…@example.com`` plus one invalid address), looks at
how Mailjet answers, and deletes the list again. It never touches the account's other
lists, contacts or webhooks. Mailjet's v3 API cannot delete contacts: the two
``@example.com`` contacts stay in the account's contact database (they receive nothing).

It prints one line per behaviour, ``probe <name>: <variant seen>``, where the variant is
the value of the matching ``mailjet_sandbox`` switch (see mailjet_sandbox/README.md),
followed by indented details, and ends with ``probe: N identified, M unknown``:

    probe partial-error-status: Error|Completed      (--partial-error-status)
    probe partial-job-valid-contacts: applied|not-applied
    probe error-file-shape: list|data|csv            (--error-file-shape)
    probe contact-list-filter: subscribed|all        (--contact-list-filter)
    probe subscriber-count: all-members|subscribed-only
    probe list-delete: soft|hard                     (--list-delete)
    probe deleted-list-name: reserved|free
    probe list-reinstate: works                      (only after a soft delete)

A behaviour that could not be observed reads ``unknown (why)``. Exit status 0 when the
probe ran (whatever it found), 1 when it could not create its list, 2 for bad credentials.
The API secret is never printed.
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import secrets
import sys
import time
from collections.abc import Callable
from typing import Any

from mailjet_rest import Client
from mailjet_rest.errors import ApiError, MailjetApiError, MailjetAuthError

DEFAULT_API_URL = "https://api.mailjet.com/"
FINAL_STATUSES = ("Completed", "Error", "Abort")


class Probe:
    """One probe run on one account."""

    def __init__(self, client: Client, api_url: str, secret: str, args: argparse.Namespace):
        self.client = client
        self.api_url = api_url
        self.secret = secret
        self.job_wait = args.job_wait
        self.poll_interval = args.poll_interval
        self.results: dict[str, str] = {}
        self.lists: dict[int, str] = {}  # ID -> name of every list this run created
        self.deleted: set[int] = set()
        tag = f"{time.strftime('%Y%m%d%H%M%S', time.gmtime())}-{secrets.token_hex(3)}"
        self.name = f"ems-mailjet-probe-{tag}"
        self.ok = f"ems-probe-{tag}-ok@example.com"
        self.sub = f"ems-probe-{tag}-sub@example.com"
        self.unsub = f"ems-probe-{tag}-unsub@example.com"
        self.bad = f"ems-probe-{tag}-not-an-address"

    # ------------------------------------------------------------- output
    def say(self, text: str) -> None:
        """Print one line, never the secret."""
        if self.secret:
            text = text.replace(self.secret, "***")
        print(text, flush=True)

    def result(self, name: str, variant: str, *details: str) -> None:
        """One behaviour identified (or ``unknown (why)``), with indented details."""
        self.results[name] = variant
        self.say(f"probe {name}: {variant}")
        for line in details:
            self.say(f"  {line}")

    # ------------------------------------------------------------- API helpers
    def data(self, response: Any) -> list[dict]:
        """The ``Data`` rows of an answer (empty for 204/304)."""
        if response.status_code in (204, 304) or not response.content:
            return []
        return response.json().get("Data") or []

    def count(self, **filters: Any) -> int:
        """``listrecipient`` rows matching the filters."""
        response = self.client.listrecipient.get(filters={**filters, "countOnly": 1})
        return int(response.json()["Count"])

    def create_list(self, name: str) -> int:
        """A new list (remembered for clean-up)."""
        list_id = int(self.data(self.client.contactslist.create(data={"Name": name}))[0]["ID"])
        self.lists[list_id] = name
        return list_id

    def guarded(self, name: str, step: Callable[[], None]) -> None:
        """Run one probe step; an API error makes its behaviour unknown, not the run fail."""
        try:
            step()
        except (ApiError, ValueError, KeyError, IndexError, TypeError) as exc:
            self.result(name, f"unknown ({describe(exc)})")

    # ------------------------------------------------------------- the steps
    def run(self, list_id: int) -> None:
        """Every probe, on the throwaway list."""
        job: dict = {}
        self.guarded("partial-error-status", lambda: job.update(self.partial_job(list_id)))
        if job:
            self.guarded("partial-job-valid-contacts", lambda: self.valid_applied(list_id))
            self.guarded("error-file-shape", lambda: self.error_file(job))
        self.guarded("contact-list-filter", lambda: self.contact_filter(list_id))
        self.guarded("subscriber-count", lambda: self.subscriber_count(list_id))
        self.guarded("list-delete", lambda: self.list_delete(list_id))
        if self.results.get("list-delete") in ("soft", "hard"):
            self.guarded("deleted-list-name", lambda: self.deleted_name(list_id))
        if self.results.get("list-delete") == "soft":
            self.guarded("list-reinstate", lambda: self.reinstate(list_id))

    def partial_job(self, list_id: int) -> dict:
        """A bulk job with one valid and one invalid address: its final status."""
        contacts = [{"Email": self.ok}, {"Email": self.bad}]
        created = self.client.contactslist_managemanycontacts.create(
            id=list_id, data={"Action": "addforce", "Contacts": contacts}
        )
        job_id = self.data(created)[0]["JobID"]
        seen: list[str] = []
        deadline = time.monotonic() + self.job_wait
        while True:
            rec = self.data(
                self.client.contactslist_managemanycontacts.get(id=list_id, action_id=job_id)
            )[0]
            if not seen or seen[-1] != rec.get("Status"):
                seen.append(str(rec.get("Status")))
            if rec.get("Status") in FINAL_STATUSES:
                break
            if time.monotonic() > deadline:
                self.result(
                    "partial-error-status",
                    f"unknown (job {job_id} not finished after {self.job_wait:g} s)",
                    f"statuses seen: {', '.join(seen)}",
                )
                return {}
            time.sleep(self.poll_interval)
        details = [
            f"job {job_id}: statuses seen {', '.join(seen)}; Count {rec.get('Count')}; "
            f"Error {rec.get('Error')!r}; ErrorFile {rec.get('ErrorFile')!r}",
            f"job record fields: {', '.join(sorted(rec))}",
        ]
        status = rec["Status"]
        if not rec.get("ErrorFile"):
            variant = f"unknown (the job ended {status} without an ErrorFile)"
        elif status in ("Error", "Completed"):
            variant = status
        else:
            variant = f"unknown (the job ended {status})"
        self.result("partial-error-status", variant, *details)
        return rec if rec.get("ErrorFile") else {}

    def valid_applied(self, list_id: int) -> None:
        """Did the job apply the valid address although another one was refused?"""
        found = self.count(ContactsList=list_id, ContactEmail=self.ok)
        self.result("partial-job-valid-contacts", "applied" if found else "not-applied")

    def error_file(self, job: dict) -> None:
        """The shape of the job's error file."""
        path = job["ErrorFile"]
        url = path if path.startswith(("http://", "https://")) else f"{self.api_url}v3/{path}"
        try:
            response = self.client.api_call("GET", url)
        except MailjetApiError as exc:
            self.result("error-file-shape", f"unknown (HTTP {exc.status_code} for the file)")
            return
        text = response.text
        sample = f"first bytes: {text[:160]!r}"
        content_type = f"Content-Type: {response.headers.get('Content-Type', '')}"
        self.result("error-file-shape", classify_error_file(text, self.bad), content_type, sample)

    def contact_filter(self, list_id: int) -> None:
        """Which members ``GET contact?ContactsList=`` returns."""
        self.client.contactslist_managecontact.create(
            id=list_id, data={"Email": self.sub, "Action": "addforce"}
        )
        self.client.contactslist_managecontact.create(
            id=list_id, data={"Email": self.unsub, "Action": "unsub"}
        )
        rows = self.data(self.client.contact.get(filters={"ContactsList": list_id, "Limit": 1000}))
        emails = {str(row.get("Email", "")).lower() for row in rows}
        if self.sub in emails and self.unsub in emails:
            variant = "all"
        elif self.sub in emails:
            variant = "subscribed"
        else:
            variant = "unknown (not even the subscribed member was returned)"
        self.result("contact-list-filter", variant)

    def subscriber_count(self, list_id: int) -> None:
        """Does ``SubscriberCount`` include unsubscribed members?"""
        everyone = self.count(ContactsList=list_id)
        subscribed = self.count(ContactsList=list_id, Unsub="false")
        reported = int(self.data(self.client.contactslist.get(id=list_id))[0]["SubscriberCount"])
        detail = f"SubscriberCount {reported}; members {everyone}, of which subscribed {subscribed}"
        if everyone == subscribed:
            variant = "unknown (no unsubscribed member to tell them apart)"
        elif reported == everyone:
            variant = "all-members"
        elif reported == subscribed:
            variant = "subscribed-only"
        else:
            variant = "unknown (matches neither count)"
        self.result("subscriber-count", variant, detail)

    def list_delete(self, list_id: int) -> None:
        """Does ``DELETE contactslist/{id}`` keep the list (``IsDeleted``) or remove it?"""
        members = self.count(ContactsList=list_id)
        self.client.contactslist.delete(id=list_id)
        self.deleted.add(list_id)
        try:
            rows = self.data(self.client.contactslist.get(id=list_id))
        except MailjetApiError as exc:
            if exc.status_code == 404:
                self.result("list-delete", "hard", "the deleted list answers 404")
                return
            raise
        if rows and rows[0].get("IsDeleted") is True:
            kept = self.count(ContactsList=list_id)
            self.result(
                "list-delete",
                "soft",
                f"the deleted list is still there with IsDeleted true, {kept} of {members} "
                "members kept",
            )
        else:
            self.result("list-delete", "unknown (the list still exists and is not marked deleted)")

    def deleted_name(self, list_id: int) -> None:
        """May a new list take the name of a deleted one?"""
        try:
            self.create_list(self.lists[list_id])
        except MailjetApiError as exc:
            if exc.status_code == 400 and "already exists" in (exc.response_body or ""):
                self.result("deleted-list-name", "reserved")
                return
            raise
        self.result("deleted-list-name", "free")

    def reinstate(self, list_id: int) -> None:
        """Does ``PUT contactslist/{id} {"IsDeleted": false}`` bring a deleted list back?"""
        members = self.count(ContactsList=list_id)
        self.client.contactslist.update(id=list_id, data={"IsDeleted": False})
        self.deleted.discard(list_id)
        rows = self.data(self.client.contactslist.get(id=list_id))
        if rows and rows[0].get("IsDeleted") is False:
            kept = self.count(ContactsList=list_id)
            detail = f"the list is back with {kept} of {members} members"
            self.result("list-reinstate", "works", detail)
        else:
            self.result("list-reinstate", "unknown (the list is still marked deleted)")
        self.client.contactslist.delete(id=list_id)
        self.deleted.add(list_id)

    # ------------------------------------------------------------- clean-up
    def clean_up(self) -> None:
        """Delete every list this run created and did not delete yet."""
        for list_id, name in self.lists.items():
            if list_id in self.deleted:
                continue
            try:
                self.client.contactslist.delete(id=list_id)
                self.deleted.add(list_id)
            except ApiError as exc:
                self.say(f"probe: could not delete the list {name} (ID {list_id}): {describe(exc)}")
        for list_id, name in self.lists.items():
            if list_id in self.deleted:
                self.say(f"probe: deleted the throwaway list {name} (ID {list_id})")
        if self.results.get("list-delete") == "soft":
            self.say("  (Mailjet keeps deleted lists, marked IsDeleted, in the account)")
        self.say(
            f"probe: the contacts {self.ok}, {self.sub} and {self.unsub} stay in the "
            "account's contacts (Mailjet's v3 API cannot delete contacts)"
        )


def classify_error_file(text: str, bad_address: str) -> str:
    """``list``, ``data`` or ``csv`` when the file names the refused address."""
    try:
        body = json.loads(text)
    except ValueError:
        body = None
    if isinstance(body, list) and _names(body, bad_address):
        return "list"
    if isinstance(body, dict) and isinstance(body.get("Data"), list):
        if _names(body["Data"], bad_address):
            return "data"
    if body is None and bad_address in text:
        try:
            rows = list(csv.reader(io.StringIO(text)))
        except csv.Error:
            rows = []
        if len(rows) >= 2 and any(bad_address in cell for row in rows[1:] for cell in row):
            return "csv"
    return "unknown (a file that does not name the refused address in a known shape)"


def _names(rows: list, address: str) -> bool:
    return any(isinstance(row, dict) and address in map(str, row.values()) for row in rows)


def describe(exc: BaseException) -> str:
    """A short reason without credentials (status code and Mailjet's message)."""
    if isinstance(exc, MailjetApiError):
        body = exc.response_body or ""
        try:
            message = json.loads(body).get("ErrorMessage", body)
        except (ValueError, AttributeError):
            message = body
        return f"HTTP {exc.status_code}: {str(message)[:160]}"
    return f"{type(exc).__name__}: {str(exc)[:160]}"


def build_parser() -> argparse.ArgumentParser:
    """The command line."""
    p = argparse.ArgumentParser(
        prog="mailjet_probe.py",
        description="Probe how a Mailjet account behaves where the documentation is silent.",
    )
    p.add_argument("--api-key", required=True, help="the account's API key")
    p.add_argument("--api-secret", required=True, help="the account's API secret (never printed)")
    p.add_argument("--api-url", default=DEFAULT_API_URL, help=f"default {DEFAULT_API_URL}")
    p.add_argument("--timeout", type=float, default=30.0, help="seconds per HTTP call (30)")
    p.add_argument(
        "--job-wait", type=float, default=600.0, help="seconds to wait for the bulk job (600)"
    )
    p.add_argument("--poll-interval", type=float, default=2.0, help="seconds between job polls")
    return p


def main(argv: list[str] | None = None) -> int:
    """Run every probe; see the module docstring."""
    args = build_parser().parse_args(argv)
    api_url = args.api_url if args.api_url.endswith("/") else args.api_url + "/"
    key, secret = args.api_key.strip(), args.api_secret.strip()
    with Client(auth=(key, secret), version="v3", api_url=api_url, timeout=args.timeout) as client:
        probe = Probe(client, api_url, secret, args)
        probe.say(f"probe: {api_url} as API key {key[:4]}…, throwaway list {probe.name}")
        try:
            list_id = probe.create_list(probe.name)
        except MailjetAuthError as exc:
            probe.say(f"probe: Mailjet refused the API key or secret ({describe(exc)})")
            return 2
        except ApiError as exc:
            probe.say(f"probe: could not create the throwaway list ({describe(exc)})")
            return 1
        try:
            probe.run(list_id)
        finally:
            probe.clean_up()
    unknown = sum(1 for v in probe.results.values() if v.startswith("unknown"))
    probe.say(f"probe: {len(probe.results) - unknown} identified, {unknown} unknown")
    return 0


if __name__ == "__main__":
    sys.exit(main())

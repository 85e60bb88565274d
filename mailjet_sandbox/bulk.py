"""Asynchronous bulk jobs: ``contactslist/{id}/managemanycontacts`` and
``contact/managemanycontacts``, their job records and the JSON error file.

A job is applied atomically when it is created; only its reported ``Status`` advances
with each poll (``job_polls`` polls in Allocated/In Progress/Importing, then the final
status). A job in which some contacts were refused applies the valid ones and ends with
the ``partial_error_status`` reading (``Error`` by default, or ``Completed``) and an
``ErrorFile``; the error file's shape is the ``error_file_shape`` reading.
"""

from __future__ import annotations

import csv
import io
from typing import Any

from . import payload
from .errors import Response, bad_request, dumps, envelope, not_found
from .store import ACTIONS, email_error
from .util import parse_bool, rfc3339

_CONTACT_FIELDS = ("Email", "Name", "IsExcludedFromCampaigns", "Properties")
JOB_ERROR_TEXT = "Internal error while processing the job; no contact was imported"


def error_file(job_id: int) -> str:
    """The ``ErrorFile`` value: a path to GET under ``<api_url>v3/``."""
    return f"DATA/batchjob/{job_id}/JSONError/application:json/LAST"


def _merge(entry: dict, item: dict) -> str | None:
    """Fold one payload item into the deduplicated entry; a per-contact error or None."""
    if "Name" in item:
        if item["Name"] is not None and not isinstance(item["Name"], str):
            return "Name must be a string"
        entry["Name"] = item["Name"] or ""
    if "IsExcludedFromCampaigns" in item:
        try:
            entry["IsExcludedFromCampaigns"] = parse_bool(item["IsExcludedFromCampaigns"])
        except ValueError:
            return "IsExcludedFromCampaigns must be a boolean"
    if "Properties" in item and item["Properties"] is not None:
        if not isinstance(item["Properties"], dict):
            return "Properties must be an object"
        entry.setdefault("Properties", {}).update(item["Properties"])
    return None


def parse_contacts(store: Any, contacts: Any, strict: bool) -> tuple[list[dict], list[dict]]:
    """Deduplicated entries (later duplicates override fields) and per-contact errors."""
    if not isinstance(contacts, list):
        raise bad_request("MJ08 Property Contacts is invalid: an array is expected")
    entries: dict[str, dict] = {}
    errors: list[dict] = []
    for item in contacts:
        item = payload.fields(item, "TContact", _CONTACT_FIELDS)
        email = item.get("Email")
        problem = email_error(email)
        if problem:
            errors.append({"Email": email if isinstance(email, str) else "", "Error": problem})
            continue
        key = email.strip().lower()
        entry = entries.setdefault(key, {"Email": key})
        problem = _merge(entry, item)
        if problem:
            entry["_error"] = problem
    valid = []
    for key, entry in entries.items():
        if "_error" not in entry and "Properties" in entry:
            clean, problems = store.check_properties(entry["Properties"], strict)
            entry["Properties"] = clean
            if problems:
                entry["_error"] = "; ".join(f"{k}: {v}" for p in problems for k, v in p.items())
        if "_error" in entry:
            errors.append({"Email": key, "Error": entry["_error"]})
        else:
            valid.append(entry)
    return valid, errors


def run_job(
    req: Any,
    kind: str,
    list_id: int,
    actions: list[tuple[int, str]],
    entries: list[dict],
    errors: list[dict],
) -> Response:
    """Create (and immediately apply) a job; answer 201 with its JobID."""
    store = req.store
    fail, bad_emails = req.app.take_job_faults(req.method, req.raw_path)
    job_id = store.next_id("job")
    applied = 0
    if not fail:
        for entry in entries:
            if entry["Email"] in bad_emails:
                errors.append({"Email": entry["Email"], "Error": "Contact could not be imported"})
                continue
            rec = store.upsert_contact(
                entry["Email"],
                entry.get("Name"),
                entry.get("IsExcludedFromCampaigns"),
                entry.get("Properties"),
            )
            for lid, act in actions:
                store.apply_action(rec["ID"], lid, act)
            applied += 1
    if fail:
        message = JOB_ERROR_TEXT
    elif errors:
        message = f"{len(errors)} contact(s) could not be imported, see ErrorFile"
    else:
        message = ""
    store.jobs[job_id] = {
        "ID": job_id,
        "Kind": kind,
        "ListID": list_id,
        "Actions": actions,
        "Final": "Error"
        if fail
        else req.app.readings["partial_error_status"]
        if errors
        else "Completed",
        "Count": applied,
        "Error": message,
        "ErrorFile": error_file(job_id) if errors else "",
        "Errors": errors,
        "JobStart": store.now(),
        "JobEnd": 0,
        "Polls": 0,
        "PollsNeeded": req.app.job_polls,
    }
    store.touch()
    return envelope([{"JobID": job_id}], status=201)


def job_view(store: Any, job: dict, poll: bool) -> dict:
    """The job record as Mailjet reports it; a poll advances the reported status."""
    if poll:
        job["Polls"] += 1
        store.dirty += 1
    seen, needed = job["Polls"], job["PollsNeeded"]
    view = {
        "ContactsLists": [{"Action": act, "ListID": lid} for lid, act in job["Actions"]],
        "Count": 0,
        "Error": "",
        "ErrorFile": "",
        "JobEnd": "",
        "JobStart": rfc3339(job["JobStart"]),
    }
    if seen <= needed and needed > 0:
        if seen == 0 or (seen == 1 and needed >= 2):
            view["Status"] = "Allocated"
        elif seen == 2 and needed >= 3:
            view["Status"] = "In Progress"
        else:
            view["Status"] = "Importing"
        return view
    if not job["JobEnd"]:
        job["JobEnd"] = max(store.now(), job["JobStart"])
    view.update(
        Count=job["Count"],
        Error=job["Error"],
        ErrorFile=job["ErrorFile"],
        JobEnd=rfc3339(job["JobEnd"]),
        Status=job["Final"],
    )
    return view


def find_job(store: Any, key: str, kind: str, list_id: int | None = None) -> dict:
    """A job of the given kind (and list), else 404."""
    job = store.jobs.get(int(key)) if key.isdigit() else None
    if job is None or job["Kind"] != kind or (list_id is not None and job["ListID"] != list_id):
        raise not_found()
    return job


# ----------------------------------------------------------------- endpoints
def create_list_job(req: Any, lst: dict) -> Response:
    """POST contactslist/{id}/managemanycontacts ``{"Action", "Contacts"}``."""
    body = payload.fields(req.json(), "TContactsListManageManyContacts", ("Action", "Contacts"))
    act = payload.action(body.get("Action"))
    entries, errors = parse_contacts(req.store, body.get("Contacts"), req.app.strict_properties)
    return run_job(req, "list", lst["ID"], [(lst["ID"], act)], entries, errors)


def parse_list_actions(store: Any, items: Any) -> list[tuple[int, str]]:
    """``[{"ListID", "Action"}]`` validated; 400 listing the bad entries otherwise."""
    if not isinstance(items, list):
        raise bad_request("MJ08 Property ContactsLists is invalid: an array is expected")
    out, bad = [], []
    for item in items:
        item = item if isinstance(item, dict) else {}
        lid, act = item.get("ListID"), item.get("Action")
        lst = store.find_list(lid) if isinstance(lid, (int, str)) and lid != "" else None
        if lst is None:
            bad.append({"ListID": lid, "Action": act, "Error": "listID missing or not valid"})
        elif not isinstance(act, str) or act.strip().lower() not in ACTIONS:
            bad.append({"ListID": lid, "Action": act, "Error": "action missing or not valid"})
        else:
            out.append((lst["ID"], act.strip().lower()))
    if bad:
        raise bad_request({"ContactsLists": bad})
    return out


def create_contact_job(req: Any) -> Response:
    """POST contact/managemanycontacts ``{"ContactsLists"?, "Contacts"}``."""
    body = payload.fields(req.json(), "TContactManageManyContacts", ("ContactsLists", "Contacts"))
    actions = parse_list_actions(req.store, body.get("ContactsLists", []))
    entries, errors = parse_contacts(req.store, body.get("Contacts"), req.app.strict_properties)
    return run_job(req, "contact", 0, actions, entries, errors)


def list_jobs(req: Any, kind: str, list_id: int = 0) -> Response:
    """GET of the job collection (does not count as a poll)."""
    rows = []
    for job in req.store.jobs.values():
        if job["Kind"] == kind and job["ListID"] == list_id:
            rows.append({"JobID": job["ID"], **job_view(req.store, job, poll=False)})
    return envelope(rows)


def poll(req: Any, job: dict) -> Response:
    """GET of one job: advances its reported status."""
    return envelope([job_view(req.store, job, poll=True)])


def json_errors(req: Any, job_key: str) -> Response:
    """GET /v3/DATA/batchjob/{JobID}/JSONError/application:json/LAST."""
    job = req.store.jobs.get(int(job_key)) if job_key.isdigit() else None
    if job is None:
        raise not_found()
    rows = job["Errors"]
    shape = req.app.readings["error_file_shape"]
    if shape == "data":
        return Response(200, dumps({"Count": len(rows), "Data": rows, "Total": len(rows)}))
    if shape == "csv":
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(["Email", "Error"])
        writer.writerows([row["Email"], row["Error"]] for row in rows)
        return Response(200, out.getvalue().encode("utf-8"), "text/csv")
    return Response(200, dumps(rows))

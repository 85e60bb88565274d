"""The sandbox application: auth, fault injection, call log, API and control dispatch."""

from __future__ import annotations

import base64
import binascii
import hmac
import json
import sys
import traceback
from collections import Counter
from typing import Any
from urllib.parse import parse_qsl, unquote

from . import resources
from .errors import MailjetError, Response, json_response, not_found, status_response, unauthorized
from .query import parse_query
from .store import COUNTERS, Store, email_error
from .util import parse_int, parse_ts

FAULT_KINDS = ("status", "delay", "drop", "body", "job_error", "contact_errors")
REQUEST_FAULTS = ("status", "delay", "drop", "body")
_FAULT_KEYS = {
    "method",
    "path",
    "count",
    "kind",
    "status",
    "seconds",
    "emails",
    "apply",
    "body",
    "content_type",
}
# Behaviours Mailjet does not document. Each can be played either way; the first value
# is the default, the reading Mailjet's documentation supports.
READINGS: dict[str, tuple[str, ...]] = {
    # status of a bulk job in which some contacts were refused (it has an ErrorFile)
    "partial_error_status": ("Error", "Completed"),
    # the JSON error file: a bare list, a {"Count", "Data", "Total"} envelope, or CSV text
    "error_file_shape": ("list", "data", "csv"),
    # DELETE contactslist/{id}: mark the list IsDeleted (soft) or remove it (hard)
    "list_delete": ("soft", "hard"),
    # GET contact?ContactsList=: only subscribed members, or every member of the list
    "contact_list_filter": ("subscribed", "all"),
}


def check_reading(name: str, value: object) -> str:
    """The canonical spelling of a value for one of ``READINGS`` (ValueError otherwise)."""
    for allowed in READINGS[name]:
        if str(value).strip().lower() == allowed.lower():
            return allowed
    raise ValueError(f"{name} must be one of {', '.join(READINGS[name])}")


# Sub-resource names kept in the call log's "resource" (everything else after the
# resource name is an id, an e-mail or another key and is dropped).
_ACTION_NAMES = {
    "managecontact",
    "managemanycontacts",
    "managecontactslists",
    "getcontactslists",
    "importlist",
    "verify",
    "detailcontent",
    "send",
    "schedule",
    "test",
    "status",
    "validate",
    "check",
}
MAX_CALLS_KEPT = 50000


class ControlError(Exception):
    """A control-endpoint error, answered as ``{"error": message}``."""

    def __init__(self, status: int, message: str):
        super().__init__(message)
        self.status = status


def call_resource(path: str) -> str:
    """``/v3/REST/contactslist/12/managemanycontacts/7`` -> ``contactslist/managemanycontacts``."""
    segs = [unquote(s) for s in path.split("/") if s]
    low = [s.lower() for s in segs]
    if "v3" not in low:
        return "/".join(segs)
    rest = segs[low.index("v3") + 1 :]
    if rest and rest[0].upper() == "REST" and len(rest) > 1:
        return "/".join(
            [rest[1].lower()] + [s.lower() for s in rest[2:] if s.lower() in _ACTION_NAMES]
        )
    if rest and rest[0].upper() == "DATA":
        return "/".join(["DATA"] + [s for s in rest[1:] if not s.isdigit() and "@" not in s])
    return "/".join(rest)


def check_fault(spec: Any) -> dict:
    """Validate one fault spec; returns it normalised."""
    if not isinstance(spec, dict):
        raise ControlError(400, "a fault spec must be an object")
    unknown = set(spec) - _FAULT_KEYS
    if unknown:
        raise ControlError(400, f"unknown fault keys: {sorted(unknown)}")
    kind = spec.get("kind") or ("status" if "status" in spec else None)
    if kind not in FAULT_KINDS:
        raise ControlError(400, f"kind must be one of {FAULT_KINDS}")
    out = {
        "kind": kind,
        "count": spec.get("count", 1),
        "method": spec.get("method"),
        "path": spec.get("path"),
        "apply": bool(spec.get("apply", False)),
    }
    if not isinstance(out["count"], int) or out["count"] < 1:
        raise ControlError(400, "count must be a positive integer")
    if out["method"] is not None:
        out["method"] = str(out["method"]).upper()
    if kind == "status":
        status = spec.get("status")
        if not isinstance(status, int) or not 400 <= status <= 599:
            raise ControlError(400, "status must be an HTTP error code (400-599)")
        out["status"] = status
    if kind == "delay":
        seconds = spec.get("seconds")
        if not isinstance(seconds, (int, float)) or seconds < 0:
            raise ControlError(400, "seconds must be a non-negative number")
        out["seconds"] = float(seconds)
    if kind == "body":
        body = spec.get("body")
        if not isinstance(body, str):
            raise ControlError(400, "body must be a string (the answer's exact text)")
        out["body"] = body
        out["content_type"] = str(spec.get("content_type") or _guess_content_type(body))
    if kind == "contact_errors":
        emails = spec.get("emails")
        if not isinstance(emails, list) or not all(isinstance(e, str) for e in emails):
            raise ControlError(400, "emails must be a list of addresses")
        out["emails"] = [e.strip().lower() for e in emails]
    return out


def _guess_content_type(body: str) -> str:
    try:
        json.loads(body)
    except ValueError:
        return "text/html" if body.lstrip().startswith("<") else "text/plain"
    return "application/json"


class App:
    """All server state plus the request handling that does not touch sockets."""

    def __init__(
        self,
        api_key: str,
        api_secret: str,
        job_polls: int = 1,
        latency_ms: float = 0,
        strict_properties: bool = True,
        readings: dict[str, str] | None = None,
    ):
        self.store = Store()
        self.lock = self.store.lock
        self.api_key = api_key
        self.api_secret = api_secret
        self.defaults = {
            "job_polls": job_polls,
            "latency_ms": latency_ms,
            "strict_properties": strict_properties,
        }
        for name, values in READINGS.items():
            given = (readings or {}).get(name)
            self.defaults[name] = check_reading(name, given) if given else values[0]
        self.persister: Any = None
        self.epoch = 0  # bumped by reset: calls in flight across a reset are discarded
        self._reset_runtime()

    def _reset_runtime(self) -> None:
        self.job_polls = int(self.defaults["job_polls"])
        self.latency_ms = float(self.defaults["latency_ms"])
        self.strict_properties = bool(self.defaults["strict_properties"])
        # The store reads the readings it needs (list deletion, the contact filter).
        self.readings = {name: self.defaults[name] for name in READINGS}
        self.store.readings = self.readings
        self.store.version += 1  # cached query results may depend on a reading
        self.revoked = False
        self.faults: list[dict] = []
        self.calls: list[dict] = []
        self.by: Counter[str] = Counter()
        self.total = 0

    # ------------------------------------------------------------- auth
    def authorized(self, header: str | None) -> bool:
        """Basic auth with the configured key/secret (and not revoked)."""
        if self.revoked or not header or not header.startswith("Basic "):
            return False
        try:
            decoded = base64.b64decode(header[6:].strip(), validate=True)
        except (binascii.Error, ValueError):
            return False
        key, sep, secret = decoded.partition(b":")
        return (
            bool(sep)
            and hmac.compare_digest(key, self.api_key.encode())
            and hmac.compare_digest(secret, self.api_secret.encode())
        )

    # ------------------------------------------------------------- faults
    def _take(self, kinds: tuple[str, ...], method: str, path: str) -> dict | None:
        decoded = unquote(path)
        for fault in self.faults:
            if fault["kind"] not in kinds:
                continue
            if fault["method"] and fault["method"] != method:
                continue
            if fault["path"] and fault["path"] not in path and fault["path"] not in decoded:
                continue
            fault["count"] -= 1
            if fault["count"] <= 0:
                self.faults.remove(fault)
            return fault
        return None

    def take_request_fault(self, method: str, path: str) -> dict | None:
        """Consume the first status/delay/drop fault matching this call."""
        with self.lock:
            return self._take(REQUEST_FAULTS, method, path)

    def take_job_faults(self, method: str, path: str) -> tuple[bool, set[str]]:
        """Consume job faults for a bulk job being created: (fail the job?, bad e-mails)."""
        with self.lock:
            fail = self._take(("job_error",), method, path) is not None
            errs = self._take(("contact_errors",), method, path)
            return fail, set(errs["emails"]) if errs else set()

    # ------------------------------------------------------------- call log
    def record(
        self,
        method: str,
        path: str,
        query: str,
        status: int | None,
        fault: str | None,
        ignored: list[str],
    ) -> None:
        """Log one API call (control calls are not logged)."""
        resource = call_resource(path)
        with self.lock:
            self.total += 1
            self.by[f"{method} {resource}"] += 1
            self.calls.append(
                {
                    "method": method,
                    "resource": resource,
                    "path": path,
                    "query": query,
                    "status": status,
                    "fault": fault,
                    "ignored_params": ignored,
                }
            )
            if len(self.calls) > MAX_CALLS_KEPT:
                del self.calls[: len(self.calls) - MAX_CALLS_KEPT]

    # ------------------------------------------------------------- API
    def handle_api(
        self, method: str, path: str, query: str, auth: str | None, body: bytes
    ) -> tuple[Response, list[str]]:
        """One Mailjet API call (auth, routing, errors); returns (answer, ignored params)."""
        segs = [unquote(s) for s in path.split("/") if s]
        with self.lock:
            if not self.authorized(auth):
                return unauthorized(), []
            req = None
            try:
                low = [s.lower() for s in segs]
                self.store.purge_erased()
                if low[:2] == ["v4", "contacts"]:
                    req = resources.Request(self, method, path, segs[2:], parse_query(query), body)
                    return resources.v4_contacts(req), req.ignored
                if "v3" not in low:
                    raise not_found()
                rest = segs[low.index("v3") + 1 :]
                kind = rest[0].upper() if rest else ""
                if kind not in ("REST", "DATA"):
                    if kind == "SEND":
                        raise resources.unmodelled("send")
                    raise not_found()
                req = resources.Request(self, method, path, rest[1:], parse_query(query), body)
                if kind == "REST":
                    return resources.handle_rest(req), req.ignored
                return resources.handle_data(req), req.ignored
            except MailjetError as exc:
                return exc.response(), req.ignored if req else []
            except Exception:  # noqa: BLE001 - a sandbox bug must still answer like Mailjet
                traceback.print_exc(file=sys.stderr)
                return status_response(500), []

    # ------------------------------------------------------------- control
    def handle_control(self, method: str, path: str, query: str, body: bytes) -> Response:
        """``/_sandbox/<name>`` endpoints (JSON in/out, no Mailjet auth)."""
        name = path[len("/_sandbox/") :].strip("/")
        handler = getattr(self, f"c_{method.lower()}_{name}", None)
        try:
            if handler is None:
                raise ControlError(
                    404 if name not in _CONTROL_NAMES else 405,
                    f"no control endpoint {method} /_sandbox/{name}",
                )
            data = json.loads(body) if body.strip() else {}
            with self.lock:
                result = handler(data, dict(parse_qsl(query)))
            return json_response(200, result)
        except ControlError as exc:
            return json_response(exc.status, {"error": str(exc)})
        except MailjetError as exc:
            return json_response(exc.status, {"error": str(exc)})
        except ValueError as exc:
            return json_response(400, {"error": f"bad request: {exc}"})

    def _list(self, data: dict) -> dict:
        lst = self.store.find_list(data.get("ListID", ""))
        if lst is None:
            raise ControlError(404, f"no list {data.get('ListID')!r}")
        return lst

    def _email(self, data: dict) -> str:
        problem = email_error(data.get("Email"))
        if problem:
            raise ControlError(400, problem)
        return data["Email"].strip().lower()

    def c_get_health(self, _data: dict, _q: dict) -> dict:
        """Liveness."""
        return {"ok": True}

    def c_post_reset(self, _data: dict, _q: dict) -> dict:
        """Empty state, faults, call log; credentials valid again; config back to CLI values."""
        self.store.clear()
        self._reset_runtime()
        self.epoch += 1
        return {"ok": True}

    def c_post_signup(self, data: dict, _q: dict) -> dict:
        """Someone subscribes through the widget (subscribed + contactslistsignup row).

        ``"Confirmed": false`` is a double opt-in signup waiting for its confirmation
        link: ``ConfirmAt`` 0, the contact ``IsOptInPending``, not yet a list member
        (``/_sandbox/confirm`` completes it). ``"SignupIp"`` / ``"ConfirmIp"`` are kept."""
        lst, email = self._list(data), self._email(data)
        confirmed = data.get("Confirmed", True)
        if not isinstance(confirmed, bool):
            raise ControlError(400, '"Confirmed" must be true or false')
        store = self.store
        contact = store.find_contact(email)
        if contact is None:
            contact = store.create_contact(email, str(data.get("Name") or ""))
        elif data.get("Name"):
            store.update_contact(contact, name=str(data["Name"]))
        signup_ip = str(data.get("SignupIp") or "127.0.0.1")
        signup = store.add_signup(
            contact["ID"],
            lst["ID"],
            email,
            ip=signup_ip,
            confirmed=confirmed,
            confirm_ip=str(data.get("ConfirmIp") or signup_ip),
        )
        answer = {
            "ContactID": contact["ID"],
            "SignupID": signup["ID"],
            "SignupAt": signup["SignupAt"],
            "ConfirmAt": signup["ConfirmAt"],
        }
        if not confirmed:
            contact["IsOptInPending"] = True
            store.touch()
            return answer
        return dict(answer, ListRecipientID=self._subscribe(contact, lst)["ID"])

    def _subscribe(self, contact: dict, lst: dict) -> dict:
        store = self.store
        row = store.recipient(contact["ID"], lst["ID"])
        if row is None:
            row = store.add_row(contact["ID"], lst["ID"], unsub=False)
        else:
            store.update_row(row, active=True, unsub=False)
        return row

    def c_post_confirm(self, data: dict, _q: dict) -> dict:
        """The recipient clicks the confirmation link of a pending (double opt-in) signup."""
        lst, email = self._list(data), self._email(data)
        contact = self.store.find_contact(email)
        signup = self.store.pending_signup(contact["ID"], lst["ID"]) if contact else None
        if signup is None:
            raise ControlError(404, f"no pending signup of {email} on list {lst['ID']}")
        self.store.confirm_signup(signup, str(data.get("ConfirmIp") or "") or None)
        if not any(
            r["ContactID"] == contact["ID"] and not r["ConfirmAt"]
            for r in self.store.signups.values()
        ):
            contact["IsOptInPending"] = False
        row = self._subscribe(contact, lst)
        return {
            "ContactID": contact["ID"],
            "ListRecipientID": row["ID"],
            "SignupID": signup["ID"],
            "ConfirmAt": signup["ConfirmAt"],
        }

    def c_post_gdpr_delete(self, data: dict, _q: dict) -> dict:
        """What Mailjet does after ``DELETE /v4/contacts/{id}`` (e.g. from its web app)."""
        email = self._email(data)
        contact = self.store.find_contact(email)
        if contact is None:
            raise ControlError(404, f"no contact {email}")
        self.store.gdpr_delete(contact)
        return {"ContactID": contact["ID"], "Email": contact["Email"], "Name": contact["Name"]}

    def c_post_unsubscribe(self, data: dict, _q: dict) -> dict:
        """A recipient clicks the unsubscribe link of a list."""
        lst, email = self._list(data), self._email(data)
        contact = self.store.find_contact(email)
        row = self.store.recipient(contact["ID"], lst["ID"]) if contact else None
        if row is None:
            raise ControlError(404, f"{email} is not on list {lst['ID']}")
        self.store.update_row(row, unsub=True)
        return {"ListRecipientID": row["ID"], "UnsubscribedAt": row["UnsubscribedAt"]}

    def c_post_exclude(self, data: dict, _q: dict) -> dict:
        """Global exclusion from campaigns (creates the contact if needed)."""
        email = self._email(data)
        flag = bool(data.get("Excluded", True))
        contact = self.store.find_contact(email) or self.store.create_contact(email)
        self.store.update_contact(contact, excluded=flag)
        return {"ContactID": contact["ID"], "IsExcludedFromCampaigns": flag}

    def c_post_faults(self, data: Any, _q: dict) -> dict:
        """Queue one fault spec or a list of them."""
        specs = data if isinstance(data, list) else [data]
        checked = [check_fault(s) for s in specs]
        self.faults.extend(checked)
        return {"pending": self.faults}

    def c_get_faults(self, _data: dict, _q: dict) -> dict:
        """Faults not yet consumed."""
        return {"pending": self.faults}

    def c_delete_faults(self, _data: dict, _q: dict) -> dict:
        """Drop all pending faults."""
        self.faults.clear()
        return {"pending": []}

    def c_get_calls(self, _data: dict, _q: dict) -> dict:
        """API calls since the last reset."""
        return {"total": self.total, "by": dict(self.by), "calls": list(self.calls)}

    def c_get_clock(self, _data: dict, _q: dict) -> dict:
        """Mailjet's current time."""
        return {"now": self.store.now()}

    def c_post_clock(self, data: dict, _q: dict) -> dict:
        """``{"advance_s": N}`` or ``{"now": unix|RFC3339}``."""
        if "now" in data:
            self.store.clock_offset += parse_ts(data["now"]) - self.store.now()
        elif isinstance(data.get("advance_s"), (int, float)):
            self.store.clock_offset += float(data["advance_s"])
        else:
            raise ControlError(400, 'give "advance_s" (seconds) or "now" (unix time)')
        self.store.touch()
        return {"now": self.store.now()}

    def c_post_campaign(self, data: dict, _q: dict) -> dict:
        """A sent campaign to a list with lifetime statcounters."""
        lst = self._list(data)
        stats = data.get("stats") or {}
        if not isinstance(stats, dict) or set(stats) - set(COUNTERS):
            raise ControlError(400, f"stats keys must be among {COUNTERS}")
        clean = {k: parse_int(v) for k, v in stats.items()}
        extra = {
            k: data[k]
            for k in ("NewsLetterID", "SendStartAt", "FromEmail", "FromName")
            if k in data
        }
        rec = self.store.create_campaign(lst["ID"], str(data.get("Subject", "")), clean, extra)
        return {"ID": rec["ID"]}

    def c_post_revoke(self, data: dict, _q: dict) -> dict:
        """Invalidate the API credentials until the next reset."""
        key = data.get("api_key")
        if key is not None and key != self.api_key:
            raise ControlError(400, "unknown api_key")
        self.revoked = True
        return {"revoked": True}

    def c_get_state(self, _data: dict, q: dict) -> dict:
        """Lists with members (e-mails included), contacts, jobs, campaigns, callbacks."""
        list_id = parse_int(q["list"]) if q.get("list") else None
        return self.store.snapshot(list_id)

    def c_get_config(self, _data: dict, _q: dict) -> dict:
        """Runtime settings."""
        return {
            "job_polls": self.job_polls,
            "latency_ms": self.latency_ms,
            "strict_properties": self.strict_properties,
            **self.readings,
        }

    def c_post_config(self, data: dict, q: dict) -> dict:
        """Change job_polls / latency_ms / strict_properties / the readings of undocumented
        behaviour until the next reset."""
        unknown = set(data) - {"job_polls", "latency_ms", "strict_properties", *READINGS}
        if unknown:
            raise ControlError(400, f"unknown config keys: {sorted(unknown)}")
        readings = {name: check_reading(name, data[name]) for name in READINGS if name in data}
        if readings:
            self.readings.update(readings)
            self.store.version += 1  # cached query results may depend on a reading
        if "job_polls" in data:
            self.job_polls = max(0, parse_int(data["job_polls"]))
        if "latency_ms" in data:
            self.latency_ms = max(0.0, float(data["latency_ms"]))
        if "strict_properties" in data:
            self.strict_properties = bool(data["strict_properties"])
        return self.c_get_config(data, q)

    def c_post_webhook_status(self, data: dict, _q: dict) -> dict:
        """Mailjet suspends (``dead``) or revives a webhook registration.

        ``{"EventType": "unsub", "Status": "dead", "IsBackup"?: false}``; 404 if that
        registration does not exist."""
        etype = str(data.get("EventType") or "").strip().lower()
        status = str(data.get("Status") or "").strip().lower()
        if status not in ("alive", "dead"):
            raise ControlError(400, 'Status must be "alive" or "dead"')
        backup = bool(data.get("IsBackup", False))
        for rec in self.store.callbacks.values():
            if rec["EventType"] == etype and rec["IsBackup"] == backup:
                if rec["Status"] != status:
                    rec["Status"] = status
                    self.store.touch()
                return dict(rec)
        raise ControlError(404, f"no eventcallbackurl registration for {etype!r}")

    def c_post_save(self, _data: dict, _q: dict) -> dict:
        """Write the ``--state`` file now."""
        if self.persister is None:
            raise ControlError(400, "the sandbox runs without --state")
        self.persister.save()
        return {"saved": self.persister.path}


_CONTROL_NAMES = {name.split("_", 2)[2] for name in dir(App) if name.startswith("c_")}

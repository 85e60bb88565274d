"""Matching incoming e-mail addresses to employees and partners.

Build a ``MatchIndex`` once from the employees and partners (O(n)), then match any
number of incoming addresses in O(1) each:

* addresses are compared normalised (trimmed, lowercase, IDN domain in ASCII);
* an employee matches on its work *and* its private e-mail;
* a partner matches on its e-mail;
* an employee's own work-contact partner (Odoo 18 creates one per employee, with the
  same e-mail) is the same person: it counts as that employee, not as a second candidate;
* exactly one candidate → a link to it; several → no link, flagged ambiguous (never a
  guess); none → the address alone.

Nothing here creates or changes records: a participant without a match keeps only its
e-mail address.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from .emails import extract_email

__all__ = ["EmployeeRecord", "MatchIndex", "MatchResult", "PartnerRecord"]

EMPLOYEE = "employee"
PARTNER = "partner"


@dataclass(frozen=True)
class EmployeeRecord:
    id: int
    work_email: str | None = None
    private_email: str | None = None
    work_contact_partner_id: int | None = None
    name: str = ""


@dataclass(frozen=True)
class PartnerRecord:
    id: int
    email: str | None = None
    ref: str | None = None
    name: str = ""


@dataclass(frozen=True)
class MatchResult:
    """What an address matched.

    ``kind`` is ``"employee"``, ``"partner"`` or ``None``; ``record_id`` is set only for an
    unambiguous match. ``candidates`` lists every (kind, id) found, best first.
    """

    email: str
    kind: str | None = None
    record_id: int | None = None
    ambiguous: bool = False
    candidates: tuple[tuple[str, int], ...] = ()
    ref: str | None = None

    @property
    def candidate_count(self) -> int:
        return len(self.candidates)

    @property
    def matched(self) -> bool:
        return self.record_id is not None


@dataclass
class MatchIndex:
    """Normalised e-mail → the people (employees, partners) using it."""

    _by_email: dict[str, list[tuple[str, int]]] = field(default_factory=dict)
    _partner_refs: dict[int, str] = field(default_factory=dict)

    @classmethod
    def build(
        cls,
        employees: Iterable[EmployeeRecord] = (),
        partners: Iterable[PartnerRecord] = (),
    ) -> MatchIndex:
        index = cls()
        work_contact_of: dict[int, int] = {}
        for emp in employees:
            if emp.work_contact_partner_id:
                work_contact_of[emp.work_contact_partner_id] = emp.id
            for raw in (emp.work_email, emp.private_email):
                index._add(extract_email(raw), (EMPLOYEE, emp.id))
        for partner in partners:
            if partner.ref:
                index._partner_refs[partner.id] = partner.ref
            employee_id = work_contact_of.get(partner.id)
            person = (EMPLOYEE, employee_id) if employee_id else (PARTNER, partner.id)
            index._add(extract_email(partner.email), person)
        return index

    def _add(self, email: str, person: tuple[str, int]) -> None:
        if not email or "@" not in email:
            return
        people = self._by_email.setdefault(email, [])
        if person not in people:
            people.append(person)

    def match(self, email: str) -> MatchResult:
        address = extract_email(email)
        people = self._by_email.get(address, [])
        if len(people) != 1:
            return MatchResult(email=address, ambiguous=len(people) > 1, candidates=tuple(people))
        kind, record_id = people[0]
        ref = self._partner_refs.get(record_id) if kind == PARTNER else None
        return MatchResult(
            email=address, kind=kind, record_id=record_id, candidates=(people[0],), ref=ref
        )

    def match_many(self, emails: Iterable[str]) -> dict[str, MatchResult]:
        """Normalised address → result, for every address given."""
        results = {}
        for email in emails:
            result = self.match(email)
            results[result.email] = result
        return results

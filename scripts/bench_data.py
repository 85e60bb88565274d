"""Deterministic data for ``scripts/bench.py``: partners, employees, campaigns, participants.

Standard library only. The same seed always gives the same rows, so the parent process
(which runs the per-contact baseline) and the Odoo process (which inserts the rows) agree
on who the participants are without talking to each other.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from dataclasses import dataclass

FIRST = (
    "Anna",
    "Ben",
    "Clara",
    "David",
    "Emma",
    "Felix",
    "Greta",
    "Hannes",
    "Ida",
    "Jonas",
    "Klara",
    "Lukas",
    "Mia",
    "Noah",
    "Olga",
    "Paul",
    "Rosa",
    "Simon",
    "Tina",
    "Uwe",
    "Vera",
    "Wim",
    "Yara",
    "Zoe",
    "Jörg",
    "Chloé",
    "Søren",
    "Ana María",
)
LAST = (
    "Müller",
    "Schmidt",
    "Schneider",
    "Fischer",
    "Weber",
    "Meyer",
    "Wagner",
    "Becker",
    "Schulz",
    "Hoffmann",
    "Koch",
    "Richter",
    "Klein",
    "Wolf",
    "Neumann",
    "Schwarz",
    "Braun",
    "Zimmermann",
    "Krüger",
    "Hartmann",
    "Lange",
    "Werner",
    "Krause",
    "Lehmann",
)
PARTNER_DOMAINS = ("example.com", "example.org", "kunden.example.de", "shop.example.at")
BARE_DOMAINS = ("example.net", "mail.example.com", "leser.example.de", "example.ch")
EMPLOYEE_DOMAIN = "staff.example.com"


@dataclass(frozen=True)
class Sizes:
    participants: int = 100_000
    campaigns: int = 20
    partners: int = 10_000
    employees: int = 1_000
    # share of each campaign's participants drawn from partners / employees; the rest
    # are bare addresses
    partner_share: float = 0.30
    employee_share: float = 0.03
    declined_share: float = 0.05
    bare_pool: int = 0  # distinct bare addresses (0: 60 % of the participants)
    seed: int = 20260601

    @property
    def bare_addresses(self) -> int:
        """Distinct bare addresses; campaigns overlap in them."""
        return self.bare_pool or max(1, int(self.participants * 0.6))


@dataclass(frozen=True)
class PartnerRow:
    name: str
    email: str
    ref: str | None


@dataclass(frozen=True)
class EmployeeRow:
    name: str
    work_email: str
    barcode: str | None


@dataclass(frozen=True)
class ParticipantRow:
    campaign: int  # 0-based campaign index
    kind: str  # "partner" | "employee" | "bare"
    index: int  # partner / employee index, or the bare address' pool index
    email: str  # as the participant will hold it (partner's / employee's own spelling)
    name: str | None
    declined: bool
    declined_days_ago: int


def _person(rng: random.Random) -> tuple[str, str]:
    return rng.choice(FIRST), rng.choice(LAST)


def _local(first: str, last: str) -> str:
    table = str.maketrans(
        {"ä": "ae", "ö": "oe", "ü": "ue", "ß": "ss", "é": "e", "ø": "o", "í": "i", " ": "-"}
    )
    return f"{first.lower().translate(table)}.{last.lower().translate(table)}"


def partners(sizes: Sizes) -> list[PartnerRow]:
    rng = random.Random(sizes.seed + 1)
    rows = []
    for i in range(sizes.partners):
        first, last = _person(rng)
        email = f"{_local(first, last)}.{i}@{PARTNER_DOMAINS[i % len(PARTNER_DOMAINS)]}"
        if i % 10 == 3:  # some customers typed their address with capitals
            email = email.title()
        rows.append(PartnerRow(f"{first} {last}", email, f"K-{10000 + i}" if i % 2 else None))
    return rows


def employees(sizes: Sizes) -> list[EmployeeRow]:
    rng = random.Random(sizes.seed + 2)
    rows = []
    for i in range(sizes.employees):
        first, last = _person(rng)
        rows.append(
            EmployeeRow(
                f"{first} {last}",
                f"{_local(first, last)}.{i}@{EMPLOYEE_DOMAIN}",
                f"EMP{i:05d}" if i % 3 else None,
            )
        )
    return rows


def bare_address(j: int) -> str:
    return f"reader.{j:06d}@{BARE_DOMAINS[j % len(BARE_DOMAINS)]}"


def campaign_titles(sizes: Sizes) -> list[str]:
    return [f"Bench newsletter {c + 1:02d}" for c in range(sizes.campaigns)]


def participants(sizes: Sizes) -> list[ParticipantRow]:
    """Every participant, campaign by campaign; distinct addresses within a campaign."""
    return list(iter_participants(sizes))


def iter_participants(sizes: Sizes) -> Iterator[ParticipantRow]:
    """``participants`` one by one (1,000,000 rows need not sit in memory at once)."""
    rng = random.Random(sizes.seed + 3)
    partner_rows, employee_rows = partners(sizes), employees(sizes)
    base, extra = divmod(sizes.participants, sizes.campaigns)
    for c in range(sizes.campaigns):
        size = base + (1 if c < extra else 0)
        n_partner = min(round(size * sizes.partner_share), len(partner_rows))
        n_employee = min(round(size * sizes.employee_share), len(employee_rows))
        n_bare = size - n_partner - n_employee
        picks = (
            [("partner", i) for i in rng.sample(range(len(partner_rows)), n_partner)]
            + [("employee", i) for i in rng.sample(range(len(employee_rows)), n_employee)]
            + [("bare", j) for j in rng.sample(range(sizes.bare_addresses), n_bare)]
        )
        rng.shuffle(picks)
        for kind, i in picks:
            if kind == "partner":
                email, name = partner_rows[i].email, partner_rows[i].name
            elif kind == "employee":
                email, name = employee_rows[i].work_email, employee_rows[i].name
            else:
                email = bare_address(i)
                name = f"Reader {i}" if i % 2 else None
            declined = rng.random() < sizes.declined_share
            yield ParticipantRow(
                c, kind, i, email, name, declined, rng.randint(1, 400) if declined else 0
            )

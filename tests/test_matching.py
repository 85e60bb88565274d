"""Matching incoming addresses to employees and partners (R11, R12)."""

from ems_mailjet.services.matching import EmployeeRecord, MatchIndex, PartnerRecord

EMPLOYEES = [
    EmployeeRecord(
        1,
        work_email="anna@firma.de",
        private_email="Anna.Privat@Gmail.com",
        work_contact_partner_id=101,
    ),
    EmployeeRecord(2, work_email="bernd@firma.de", work_contact_partner_id=102),
    EmployeeRecord(3, work_email="team@firma.de"),
    EmployeeRecord(4, work_email="team@firma.de"),
]
PARTNERS = [
    PartnerRecord(101, email="anna@firma.de"),  # Anna's own work contact
    PartnerRecord(102, email="bernd.alt@firma.de"),  # Bernd's work contact, older address
    PartnerRecord(200, email="kunde@example.com", ref="K-1001"),
    PartnerRecord(201, email="Einkauf <einkauf@müller.de>", ref="K-1002"),
    PartnerRecord(300, email="shared@example.com", ref="K-3"),
    PartnerRecord(301, email="shared@example.com", ref="K-4"),
    PartnerRecord(400, email="bernd@firma.de", ref="K-5"),  # someone else using Bernd's address
    PartnerRecord(500, email=False or None),
]


def index():
    return MatchIndex.build(EMPLOYEES, PARTNERS)


def test_R11_match_employee_work_email():
    m = index().match("  ANNA@firma.de ")
    assert (m.kind, m.record_id, m.ambiguous) == ("employee", 1, False)


def test_R11_match_employee_private_email():
    m = index().match("anna.privat@gmail.com")
    assert (m.kind, m.record_id) == ("employee", 1)


def test_R11_work_contact_partner_is_the_employee_not_ambiguous():
    m = index().match("anna@firma.de")
    assert not m.ambiguous and m.candidate_count == 1
    # Even with another address, the work contact still means the employee.
    m = index().match("bernd.alt@firma.de")
    assert (m.kind, m.record_id) == ("employee", 2)


def test_R11_match_partner_shows_its_number():
    m = index().match("kunde@example.com")
    assert (m.kind, m.record_id, m.ref) == ("partner", 200, "K-1001")


def test_R11_match_partner_display_form_and_idn():
    m = index().match("einkauf@MÜLLER.de")
    assert (m.kind, m.record_id) == ("partner", 201)


def test_R11_several_candidates_are_ambiguous_never_guessed():
    for address, count in (("shared@example.com", 2), ("team@firma.de", 2), ("bernd@firma.de", 2)):
        m = index().match(address)
        assert m.ambiguous and m.record_id is None and m.kind is None
        assert m.candidate_count == count


def test_R12_no_match_keeps_the_address_only():
    m = index().match("Fremd@Example.org")
    assert (m.kind, m.record_id, m.ambiguous, m.candidate_count) == (None, None, False, 0)
    assert m.email == "fremd@example.org"


def test_R12_matching_creates_nothing():
    employees, partners = list(EMPLOYEES), list(PARTNERS)
    idx = MatchIndex.build(employees, partners)
    idx.match_many(["new1@example.org", "new2@example.org"])
    assert employees == EMPLOYEES and partners == PARTNERS


def test_match_many_is_keyed_by_normalised_address():
    results = index().match_many(["Kunde@Example.com", "x@y.de"])
    assert set(results) == {"kunde@example.com", "x@y.de"}
    assert results["kunde@example.com"].matched

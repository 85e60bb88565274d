"""Property tests of the sync invariants, on in-memory models of both sides.

After any interleaving of ERP edits, Mailjet unsubscribes and widget signups (with syncs
in between), a final sync leaves:

* nobody who unsubscribed on either side subscribed on either side (D4, R8);
* both sides holding the same people in the same state: no participant lost or
  duplicated (D7);
* nothing for a second sync to do: zero writes on either side, four calls (D3).
"""

from dataclasses import dataclass, field, replace

from doubles import InMemoryMailjet, InMemoryParticipants
from hypothesis import given, settings
from hypothesis import strategies as st

from ems_mailjet.services.emails import is_valid_email, normalize_email
from ems_mailjet.services.matching import EmployeeRecord, PartnerRecord
from ems_mailjet.services.reconcile import reconcile
from ems_mailjet.services.records import ACCEPTED, DECLINED, Participant, PushContact, evolve
from ems_mailjet.services.sync import RunReport, _apply_to_erp, pull, sync_list

LIST = 4711
POOL = [
    "anna@example.com",
    " Anna@Example.COM",  # the same person, typed differently
    "bernd@example.com",
    "carla@bücher.de",
    "CARLA@xn--bcher-kva.de",  # the same, in ASCII form
    "dora@example.org",
    "emil@example.net",
    "broken@localhost",  # invalid: never pushed, never lost
]
address = st.sampled_from(POOL)
state = st.sampled_from([ACCEPTED, DECLINED])
operation = st.one_of(
    st.tuples(st.just("erp_add"), address, state),
    st.tuples(st.just("erp_decline"), address),
    st.tuples(st.just("erp_reaccept"), address),  # by hand, without the consent action
    st.tuples(st.just("mailjet_unsubscribe"), address),
    st.tuples(st.just("widget_signup"), address),
    st.tuples(st.just("mailjet_exclude"), address),
    st.tuples(st.just("tick")),
    st.tuples(st.just("sync")),
)


@dataclass
class World:
    erp: InMemoryParticipants = field(
        default_factory=lambda: InMemoryParticipants(
            employees=[EmployeeRecord(1, work_email="dora@example.org")],
            partners=[PartnerRecord(7, email="emil@example.net", ref="K-7")],
        )
    )
    mailjet: InMemoryMailjet = field(default_factory=lambda: InMemoryMailjet(chunk_size=3))
    pending_unsub: set = field(default_factory=set)  # Mailjet unsubscribes not yet synced
    final_unsub: set = field(default_factory=set)  # unsubscribes a sync has seen
    signed_up_again: set = field(default_factory=set)  # widget signups since the last sync

    def do(self, op):
        kind, *args = op
        if kind == "erp_add":
            self.erp.add(args[0], state=args[1])
        elif kind in ("erp_decline", "erp_reaccept"):
            row = self.erp.find(args[0])
            if row is not None:
                self.erp.set_state(row.key, DECLINED if kind == "erp_decline" else ACCEPTED)
        elif kind == "mailjet_unsubscribe":
            email = normalize_email(args[0])
            if self.mailjet.state_of(LIST, email) == "subscribed":
                self.mailjet.unsubscribe(LIST, email)
                self.pending_unsub.add(email)
        elif kind == "widget_signup":
            if is_valid_email(args[0]):
                self.mailjet.signup(LIST, args[0])
                # The person's latest word, before any sync saw the unsubscribe.
                self.pending_unsub.discard(normalize_email(args[0]))
                self.signed_up_again.add(normalize_email(args[0]))
        elif kind == "mailjet_exclude":
            self.mailjet.exclude(args[0])
        elif kind == "tick":
            self.mailjet.tick()
        else:
            self.sync()

    def sync(self) -> RunReport:
        declined = {r.email for r in self.erp.rows.values() if r.state == DECLINED}
        # An unsubscribe is undone only with consent on both sides (R8): the person signed
        # up again in Mailjet *and* someone switched the participant back in the ERP.
        self.final_unsub -= self.signed_up_again - declined
        self.final_unsub |= self.pending_unsub | declined
        self.pending_unsub.clear()
        self.signed_up_again.clear()
        report = sync_list(self.mailjet, LIST, self.erp)
        assert not report.aborted, report.error_lines
        return report


def check_invariants(world: World) -> None:
    erp, mailjet = world.erp, world.mailjet
    rows = list(erp.rows.values())
    valid = [r for r in rows if is_valid_email(r.email)]

    # No participant duplicated.
    assert len({r.email for r in rows}) == len(rows)
    # No participant lost: both sides hold the same people, in the same state.
    members = mailjet.snapshot(LIST)
    assert {r.email for r in valid} == set(members)
    for r in valid:
        mailjet_state, excluded = members[r.email]
        assert mailjet_state == ("subscribed" if r.state == ACCEPTED else "unsubscribed"), r
        assert r.synced_state == r.state
        assert r.excluded == excluded
    # Nobody unsubscribed on either side ends up subscribed.
    for email in world.final_unsub:
        row = erp.find(email)
        if row is not None and is_valid_email(email):
            assert row.state == DECLINED, email
            assert mailjet.state_of(LIST, email) == "unsubscribed", email
    # The sync itself never re-subscribed or removed anyone.
    assert {a for a, _, _ in mailjet.pushed} <= {"addnoforce", "unsub"}


@settings(max_examples=300, deadline=None)
@given(st.lists(operation, max_size=30))
def test_D4_R8_D7_any_interleaving_converges_and_second_sync_changes_nothing(ops):
    world = World()
    for op in ops:
        world.do(op)
    world.sync()
    check_invariants(world)

    erp_writes, mailjet_writes, calls = world.erp.writes, world.mailjet.writes, world.mailjet.calls
    before = (world.mailjet.snapshot(LIST), [r.snapshot() for r in world.erp.rows.values()])
    report = world.sync()
    after = (world.mailjet.snapshot(LIST), [r.snapshot() for r in world.erp.rows.values()])
    assert after == before
    assert world.erp.writes == erp_writes, report
    assert world.mailjet.writes == mailjet_writes
    assert world.mailjet.calls - calls <= 4
    assert not report.changed


@settings(max_examples=150, deadline=None)
@given(st.lists(operation, max_size=20))
def test_D7_applying_the_same_plan_twice_changes_nothing(ops):
    world = World()
    for op in ops:
        if op[0] != "sync":
            world.do(op)
    participants = world.erp.participants()
    checkpoint = world.erp.get_checkpoint()
    view, _counters, _how = pull(world.mailjet, LIST, participants, checkpoint)
    plan = reconcile(participants, view, checkpoint)

    def apply():
        _apply_to_erp(plan, world.erp, RunReport())
        for action, contacts in (("unsub", plan.to_unsubscribe), ("addnoforce", plan.to_add)):
            if contacts:
                world.mailjet.push(LIST, action, contacts)

    def state():
        return world.mailjet.snapshot(LIST), sorted(
            (r.email, r.state, r.synced_state, r.excluded) for r in world.erp.rows.values()
        )

    apply()
    once = state()
    apply()
    assert state() == once


def test_evolve_is_replace_without_running_init_again():
    """The engine's cheap copy of a participant or a pushed contact changes exactly the
    fields it is given, like ``dataclasses.replace``, and leaves the original as it was."""
    p = Participant(key=7, email="anna@example.de", name="Anna", properties={"city": "Köln"})
    q = evolve(p, synced_state=ACCEPTED, excluded=True)
    assert q == replace(p, synced_state=ACCEPTED, excluded=True)
    assert (q.properties, q.name) == ({"city": "Köln"}, "Anna")
    assert (p.synced_state, p.excluded) == (None, False)
    c = PushContact("anna@example.de", "Anna", (7,))
    assert evolve(c, properties={"a": 1}) == replace(c, properties={"a": 1})
    assert c.properties is None

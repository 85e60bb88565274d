"""The Mailjet sync engine, in plain Python (no ``odoo`` import anywhere in it).

* ``emails``    normalise and validate addresses
* ``matching``  incoming address → employee / partner (R11, R12)
* ``records``   the value objects (participant snapshot, Mailjet recipient, plan, …)
* ``reconcile`` the rules: a pure function from both sides to a plan (R7, R8, D4)
* ``gateway``   every Mailjet call, through mailjet-rest, with retries (D2, D3, D8)
* ``sync``      the orchestrator of one list (pull → reconcile → apply → push)
* ``notes``     what a sync reports, as codes with parameters (never sentences)
"""

from .emails import InvalidEmail, extract_email, is_valid_email, normalize_email, validate_email
from .errors import (
    MailjetAuthFailed,
    MailjetError,
    MailjetNotFound,
    MailjetRequestRejected,
    MailjetUnavailable,
)
from .gateway import (
    CampaignStatistics,
    ContactRow,
    EnsuredList,
    JobPolling,
    ListCounters,
    ListRecipientRow,
    ListStatistics,
    MailjetGateway,
    MailjetList,
    PushResult,
    RetryPolicy,
)
from .matching import EmployeeRecord, MatchIndex, MatchResult, PartnerRecord
from .records import (
    ACCEPTED,
    DECLINED,
    Checkpoint,
    ContactError,
    Decline,
    MailjetView,
    NewParticipant,
    Participant,
    Plan,
    PushContact,
    Recipient,
    Signup,
)
from .notes import CODES, Note, Op
from .reconcile import reconcile
from .sync import MailjetPort, ParticipantStore, RunReport, pull, sync_list

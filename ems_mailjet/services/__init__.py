"""The Mailjet sync engine, in plain Python (no ``odoo`` import anywhere in it).

* ``emails``    normalise and validate addresses
* ``matching``  incoming address → employee / partner
* ``records``   the value objects (participant snapshot, Mailjet recipient, plan, …)
* ``reconcile`` the rules: a pure function from both sides to a plan
* ``gateway``   every Mailjet call, through mailjet-rest, with retries
* ``sync``      the orchestrator of one list (pull → reconcile → apply → push)
* ``notes``     what a sync reports, as codes with parameters (never sentences)
* ``preview``   what the next sync would do, from the sync's own plan (nothing applied)
* ``protection`` hard bounces and the ERP's blacklist keep addresses out of pushes
* ``properties`` contact properties pushed only when changed since Mailjet confirmed them
* ``engagement`` who opened, who clicked: webhook events and message rows as activity
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

from . import ems_consent_resubscribe
from . import ems_mailjet_gdpr_erase

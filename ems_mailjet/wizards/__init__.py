from . import ems_consent_resubscribe
from . import ems_mailjet_gdpr_erase
from . import ems_mailjet_sync_preview
from . import ems_mailjet_sync_preview_line

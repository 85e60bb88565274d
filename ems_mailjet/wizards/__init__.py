from . import ems_consent_resubscribe

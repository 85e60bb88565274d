from . import ems_mailjet_contact_mixin
from . import ems_campaign_participation_mixin
from . import ems_interface
from . import utm_campaign
from . import ems_campaign_participant
from . import res_partner
from . import hr_employee
from . import ems_mailjet_sync_run

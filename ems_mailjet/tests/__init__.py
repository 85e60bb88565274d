from . import test_participant
from . import test_campaign
from . import test_security
from . import test_views
from . import test_i18n
from . import test_webhook
from . import test_sync
from . import test_performance

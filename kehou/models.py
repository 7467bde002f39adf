"""Imports every model so the metadata is complete (for Alembic and tests)."""

from kehou.db import Base
from kehou.platform.accounts import models as _accounts  # noqa: F401
from kehou.platform.admission import models as _admission  # noqa: F401
from kehou.platform.agreements import models as _agreements  # noqa: F401
from kehou.platform.audit import models as _audit  # noqa: F401
from kehou.platform.calendar import models as _calendar  # noqa: F401
from kehou.platform.counties import models as _counties  # noqa: F401
from kehou.platform.documents import models as _documents  # noqa: F401
from kehou.platform.exits import models as _exits  # noqa: F401
from kehou.platform.notifications import models as _notifications  # noqa: F401
from kehou.platform.outbox import models as _outbox  # noqa: F401
from kehou.platform.policy import models as _policy  # noqa: F401
from kehou.platform.privacy import models as _privacy  # noqa: F401
from kehou.platform.providers import models as _providers  # noqa: F401
from kehou.platform.ratelimit import models as _ratelimit  # noqa: F401
from kehou.platform.students import models as _students  # noqa: F401
from kehou.plugins.billing_cap import models as _billing  # noqa: F401
from kehou.plugins.course_catalogue import models as _catalogue  # noqa: F401
from kehou.plugins.outcome_reporting import models as _outcome  # noqa: F401
from kehou.plugins.payments_offline import models as _offline  # noqa: F401
from kehou.vetting import models as _vetting  # noqa: F401

__all__ = ["Base"]

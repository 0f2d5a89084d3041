"""The HTTP contract: pydantic models named by direction (``...Request``/``...Create`` in, ``...Public`` out).

Request models are strict (no silent coercion of ``"3"`` to ``3``) and forbid unknown fields, so a
client's typo is a 422 rather than an ignored field. Limits that depend on settings (text length,
batch size) are checked by :class:`service.state.Runtime`, not here.
"""

from service.schemas.clusters import *  # noqa: F403
from service.schemas.docs import *  # noqa: F403
from service.schemas.matching import *  # noqa: F403
from service.schemas.office import *  # noqa: F403
from service.schemas.types import *  # noqa: F403

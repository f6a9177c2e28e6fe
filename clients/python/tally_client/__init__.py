"""Tally's HTTP client for Python (standard library only, Python 3.9+).

    from tally_client import TallyClient
    tally = TallyClient("http://127.0.0.1:8080", token="...")
    job = tally.create_job("tiles", parts=[{"tile": "a"}, {"tile": "b"}])
    if tally.complete_part(job["id"], 0).last:
        reduce()

See README.md beside this package.
"""

from .client import TERMINAL_STATES, PartCompletion, Reporter, TallyClient
from .errors import (
    TallyAuthError,
    TallyConflictError,
    TallyConnectionError,
    TallyError,
    TallyInvalidError,
    TallyNotFoundError,
    TallyUnavailableError,
)
from .sse import Event, EventStream, SseParser

__version__ = "0.1.0"

__all__ = [
    "TallyClient",
    "PartCompletion",
    "Reporter",
    "TERMINAL_STATES",
    "Event",
    "EventStream",
    "SseParser",
    "TallyError",
    "TallyInvalidError",
    "TallyAuthError",
    "TallyNotFoundError",
    "TallyConflictError",
    "TallyUnavailableError",
    "TallyConnectionError",
]

"""The errors the client raises.

A non-2xx answer of the server becomes a :class:`TallyError` (or one of its subclasses) carrying the HTTP status and
the server's JSON error fields (``{"error": {"code": ..., "message": ...}}``). Bad input caught by the client before
anything is sent is a plain :class:`ValueError` or :class:`TypeError`.
"""

import re
from typing import Any, Dict, Optional

__all__ = [
    "TallyError",
    "TallyInvalidError",
    "TallyAuthError",
    "TallyNotFoundError",
    "TallyConflictError",
    "TallyUnavailableError",
    "TallyConnectionError",
    "error_for",
]

# The server's 409 body carries "state" (and "target" for a refused state change); a server before those fields
# is read from the message it writes ("job X is already FAILED", "job X cannot go from SUCCEEDED to CANCELLED").
_ALREADY = re.compile(r"\bis already ([A-Z]+)\b")
_TRANSITION = re.compile(r"\bcannot go from ([A-Z]+) to ([A-Z]+)\b")


class TallyError(Exception):
    """An error answer of the server.

    Attributes:
        status: the HTTP status (0 when no answer arrived, see :class:`TallyConnectionError`)
        code: the server's error code (``invalid``, ``unauthorized``, ``not_found``, ``conflict``, ``finished``,
            ``too_large``, ``unavailable``, ``internal``), or None when the body was not Tally's JSON error
        message: the server's message
        body: the parsed JSON body (or the raw text when it was not JSON)
    """

    def __init__(self, status: int, code: Optional[str], message: str, body: Any = None) -> None:
        super().__init__("HTTP %d %s: %s" % (status, code or "error", message) if status else message)
        self.status = status
        self.code = code
        self.message = message
        self.body = body


class TallyInvalidError(TallyError):
    """400 ``invalid`` (or 413 ``too_large``): the server refused the input; nothing was written."""


class TallyAuthError(TallyError):
    """401 ``unauthorized``: a token is required, or the one given is wrong."""


class TallyNotFoundError(TallyError):
    """404 ``not_found``: no such job (or endpoint)."""


class TallyConflictError(TallyError):
    """409: the job's state refused the operation; nothing was written.

    ``code`` is ``finished`` (progress, a part or a heartbeat on a job that already ended) or ``conflict`` (a
    transition the state table forbids, such as finishing a cancelled job, or a taken id).

    Attributes:
        state: the job's state when it refused (``SUCCEEDED``, ``FAILED``, ``CANCELLED``, ...), or None when the
            server did not say (a taken id)
        target: for ``conflict`` on a transition, the state that was asked for, else None
    """

    def __init__(self, status: int, code: Optional[str], message: str, body: Any = None) -> None:
        super().__init__(status, code, message, body)
        self.state = None  # type: Optional[str]
        self.target = None  # type: Optional[str]
        if isinstance(body, dict) and isinstance(body.get("state"), str):
            self.state = body["state"]
            self.target = body.get("target") if isinstance(body.get("target"), str) else None
            return
        m = _TRANSITION.search(message or "")
        if m:
            self.state, self.target = m.group(1), m.group(2)
        else:
            m = _ALREADY.search(message or "")
            if m:
                self.state = m.group(1)

    @property
    def finished(self) -> bool:
        """True when the job had already ended (``code == "finished"``)."""
        return self.code == "finished"


class TallyUnavailableError(TallyError):
    """503 ``unavailable``: the store is down, or too many event streams are open."""


class TallyConnectionError(TallyError):
    """No answer: the server could not be reached or the connection broke (``status`` is 0)."""

    def __init__(self, message: str) -> None:
        super().__init__(0, None, message, None)


_BY_STATUS = {
    400: TallyInvalidError,
    413: TallyInvalidError,
    401: TallyAuthError,
    404: TallyNotFoundError,
    409: TallyConflictError,
    503: TallyUnavailableError,
}


def error_for(status: int, body: Any) -> TallyError:
    """Builds the error for a non-2xx answer from its status and its parsed body."""
    code = None
    message = "HTTP %d" % status
    if isinstance(body, dict) and isinstance(body.get("error"), dict):
        err = body["error"]  # type: Dict[str, Any]
        code = err.get("code") if isinstance(err.get("code"), str) else None
        message = err.get("message") if isinstance(err.get("message"), str) else message
    elif isinstance(body, str) and body.strip():
        message = body.strip()[:500]
    cls = _BY_STATUS.get(status, TallyError)
    return cls(status, code, message, body)

"""The HTTP client of Tally's server (``tally serve``), standard library only."""

import datetime
import http.client
import json
import re
import socket
import ssl
import threading
import time
import urllib.parse
from typing import Any, Callable, Dict, Iterable, Iterator, List, NamedTuple, Optional, Tuple, Union

from .errors import TallyConnectionError, error_for
from .sse import Event, EventStream

__all__ = ["TallyClient", "PartCompletion", "Reporter", "TERMINAL_STATES"]

#: States a job never leaves.
TERMINAL_STATES = frozenset(["SUCCEEDED", "FAILED", "CANCELLED", "SKIPPED"])
_STATES = frozenset(["PENDING", "RUNNING"]) | TERMINAL_STATES
# The server's rule for job ids (caller-given ones and UUIDv7s both match it).
_ID = re.compile(r"^[A-Za-z0-9._:-]{1,128}$")
_TERMINAL_EVENTS = frozenset(["finished", "failed", "cancelled", "skipped", "deleted"])

Duration = Union[int, float, str, datetime.timedelta]


class PartCompletion(NamedTuple):
    """The answer to completing or failing a part.

    Attributes:
        changed: True when this call recorded the part's outcome (False for a redelivery of the same outcome)
        remaining: parts still pending after this call
        last: True for exactly one call per job: the one that left no part pending (run the reduce on it)
    """

    changed: bool
    remaining: int
    last: bool


def _job_id(value: Any, what: str = "job_id") -> str:
    if not isinstance(value, str) or not value:
        raise ValueError("%s: must be a non-empty string, was %r" % (what, value))
    if not _ID.match(value):
        raise ValueError("%s: must match [A-Za-z0-9._:-]{1,128}, was %r" % (what, value[:60]))
    return value


def _count(value: Any, what: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError("%s: must be an int, was %r" % (what, value))
    if value < 0:
        raise ValueError("%s: must not be negative, was %d" % (what, value))
    return value


def _text(value: Any, what: str, required: bool = False) -> Optional[str]:
    if value is None:
        if required:
            raise ValueError("%s: is required" % what)
        return None
    if not isinstance(value, str):
        raise TypeError("%s: must be a string, was %r" % (what, value))
    if required and not value.strip():
        raise ValueError("%s: must not be blank" % what)
    return value


def _duration(value: Any, what: str) -> Union[None, float, int, str]:
    if value is None:
        return None
    if isinstance(value, datetime.timedelta):
        value = value.total_seconds()
    if isinstance(value, bool):
        raise TypeError("%s: must be seconds, an ISO-8601 duration or a timedelta, was %r" % (what, value))
    if isinstance(value, (int, float)):
        if not value > 0 or value == float("inf"):
            raise ValueError("%s: must be a positive number of seconds, was %r" % (what, value))
        return value
    if isinstance(value, str) and value.strip():
        return value
    raise TypeError("%s: must be seconds, an ISO-8601 duration or a timedelta, was %r" % (what, value))


def _progress_body(
    succeeded: Any, failed: Any, items: Optional[Iterable[Dict[str, Any]]], add_total: Any, message: Any
) -> Dict[str, Any]:
    """The body of a progress update, checked field by field."""
    body = {}  # type: Dict[str, Any]
    if _count(succeeded, "succeeded"):
        body["succeeded"] = succeeded
    if _count(failed, "failed"):
        body["failed"] = failed
    if _count(add_total, "add_total"):
        body["addTotal"] = add_total
    if message is not None:
        body["message"] = _text(message, "message")
    if items is not None:
        out = []
        for i, it in enumerate(items):
            if not isinstance(it, dict):
                raise TypeError("items: item %d must be a dict {key, outcome, reason}" % i)
            unknown = set(it) - {"key", "outcome", "reason"}
            if unknown:
                raise ValueError("items: item %d has unknown fields %s" % (i, sorted(unknown)))
            key = _text(it.get("key"), "items[%d].key" % i, required=True)
            outcome = (_text(it.get("outcome"), "items[%d].outcome" % i) or "SUCCESS").upper()
            if outcome not in ("SUCCESS", "FAILURE"):
                raise ValueError("items[%d].outcome: must be SUCCESS or FAILURE, was %r" % (i, it.get("outcome")))
            item = {"key": key, "outcome": outcome}
            if it.get("reason") is not None:
                item["reason"] = _text(it.get("reason"), "items[%d].reason" % i)
            out.append(item)
        if len(out) > 10000:
            raise ValueError("items: at most 10000 per call, was %d" % len(out))
        if out:
            body["items"] = out
    return body


def _part(value: Any) -> int:
    return _count(value, "part")


class TallyClient:
    """A client of one Tally server.

    Every method is one HTTP request (no connection is kept between calls), so one client may be shared by threads.
    Jobs come back as the server's JSON objects (dicts) with the server's field names (``id``, ``state``, ``total``,
    ``succeeded``, ``failed``, ``pending``, ``percent``, ``result``, ``error``, ...). A non-2xx answer raises a
    :class:`~tally_client.errors.TallyError` subclass; bad arguments raise ``ValueError``/``TypeError`` before
    anything is sent.

    Args:
        base_url: the server, e.g. ``http://127.0.0.1:8080`` (a path prefix is kept: ``https://host/tally``)
        token: the API token, sent as ``Authorization: Bearer <token>`` on every request (the server needs it for
            writes when started with ``--token``, and for reads with ``--read-token``)
        timeout: seconds to wait for a connection and for each answer
        ssl_context: for ``https`` URLs; default: the system's trusted certificates
    """

    def __init__(
        self,
        base_url: str = "http://127.0.0.1:8080",
        token: Optional[str] = None,
        timeout: float = 30.0,
        ssl_context: Optional[ssl.SSLContext] = None,
    ) -> None:
        u = urllib.parse.urlsplit(_text(base_url, "base_url", required=True) or "")
        if u.scheme not in ("http", "https") or not u.hostname:
            raise ValueError("base_url: must be an http:// or https:// URL, was %r" % base_url)
        if token is not None:
            _text(token, "token", required=True)
            if any(c in token for c in "\r\n\0"):
                raise ValueError("token: must not contain line breaks")
        if not isinstance(timeout, (int, float)) or isinstance(timeout, bool) or timeout <= 0:
            raise ValueError("timeout: must be a positive number of seconds, was %r" % (timeout,))
        self.base_url = base_url.rstrip("/")
        self._https = u.scheme == "https"
        self._host = u.hostname
        self._port = u.port
        self._prefix = u.path.rstrip("/")
        self._token = token
        self._timeout = float(timeout)
        self._ssl = ssl_context

    # ---- jobs ---------------------------------------------------------------------------------------------------

    def create_job(
        self,
        name: str,
        *,
        id: Optional[str] = None,
        scope: Optional[str] = None,
        parent: Optional[str] = None,
        total: Optional[int] = None,
        metadata: Optional[Dict[str, Any]] = None,
        start: bool = False,
        parts: Optional[Iterable[Dict[str, Any]]] = None,
        timeout: Optional[Duration] = None,
        heartbeat: Optional[Duration] = None,
        retain_for: Optional[Duration] = None,
        message: Optional[str] = None,
        tolerated_failures: Optional[int] = None,
    ) -> Dict[str, Any]:
        """Creates a job (``POST /api/jobs``) and returns it.

        ``parts`` (JSON objects) are numbered ``0..n-1`` and make the total; ``start=True`` creates it RUNNING;
        durations are seconds, ISO-8601 strings (``"PT30S"``) or ``timedelta``.
        """
        body = {"name": _text(name, "name", required=True)}  # type: Dict[str, Any]
        if id is not None:
            body["id"] = _job_id(id, "id")
        if scope is not None:
            body["scope"] = _text(scope, "scope", required=True)
        if parent is not None:
            body["parent"] = _job_id(parent, "parent")
        if total is not None:
            body["total"] = _count(total, "total")
        if metadata is not None:
            if not isinstance(metadata, dict):
                raise TypeError("metadata: must be a dict (a JSON object), was %r" % type(metadata).__name__)
            body["metadata"] = metadata
        if start:
            body["start"] = True
        if parts is not None:
            plist = list(parts)
            for i, p in enumerate(plist):
                if not isinstance(p, dict):
                    raise TypeError("parts: part %d must be a dict (a JSON object)" % i)
            body["parts"] = plist
        for key, value in (("timeout", timeout), ("heartbeat", heartbeat), ("retainFor", retain_for)):
            d = _duration(value, key)
            if d is not None:
                body[key] = d
        if message is not None:
            body["message"] = _text(message, "message")
        if tolerated_failures is not None:
            body["toleratedFailures"] = _count(tolerated_failures, "tolerated_failures")
        return self._request("POST", "/api/jobs", body, expect=201)

    def get_job(self, job_id: str) -> Dict[str, Any]:
        """The job, with ``rollup`` (its progress plus all its descendants'). Raises TallyNotFoundError."""
        return self._request("GET", self._job_path(job_id))

    def list_jobs(
        self,
        *,
        state: Optional[str] = None,
        scope: Optional[str] = None,
        name: Optional[str] = None,
        parent: Optional[str] = None,
        limit: Optional[int] = None,
        cursor: Optional[str] = None,
    ) -> Dict[str, Any]:
        """One page of jobs, newest first: ``{"jobs": [...], "next": cursor or None}``."""
        q = {}  # type: Dict[str, Any]
        if state is not None:
            st = _text(state, "state", required=True) or ""
            if st.upper() not in _STATES:
                raise ValueError("state: must be one of %s, was %r" % (", ".join(sorted(_STATES)), state))
            q["state"] = st.upper()
        for k, v in (("scope", scope), ("name", name), ("cursor", cursor)):
            if v is not None:
                q[k] = _text(v, k, required=True)
        if parent is not None:
            q["parent"] = _job_id(parent, "parent")
        if limit is not None:
            if _count(limit, "limit") < 1:
                raise ValueError("limit: must be at least 1")
            q["limit"] = limit
        return self._request("GET", "/api/jobs", query=q)

    def iter_jobs(self, **filters: Any) -> Iterator[Dict[str, Any]]:
        """Every job matching the filters of :meth:`list_jobs`, following the cursors page by page."""
        cursor = filters.pop("cursor", None)
        while True:
            page = self.list_jobs(cursor=cursor, **filters)
            for job in page["jobs"]:
                yield job
            cursor = page.get("next")
            if not cursor:
                return

    def delete_job(self, job_id: str) -> None:
        """Deletes the job with its items, parts and logs. Raises TallyNotFoundError."""
        self._request("DELETE", self._job_path(job_id), expect=204)

    # ---- progress -----------------------------------------------------------------------------------------------

    def record_progress(
        self,
        job_id: str,
        *,
        succeeded: int = 0,
        failed: int = 0,
        items: Optional[Iterable[Dict[str, Any]]] = None,
        add_total: int = 0,
        message: Optional[str] = None,
    ) -> Dict[str, Any]:
        """Adds increments (never absolute values) and keyed items in one step; returns the job after it.

        ``items`` are ``{"key": ..., "outcome": "SUCCESS" | "FAILURE", "reason": ...}``; an item recorded again does
        not count twice, and recorded with the other outcome it moves. A PENDING job starts. Raises
        TallyConflictError (code ``finished``) when the job already ended.
        """
        body = _progress_body(succeeded, failed, items, add_total, message)
        return self._request("POST", self._job_path(job_id) + "/progress", body)

    def record_progress_many(self, updates: Iterable[Dict[str, Any]]) -> List[Dict[str, Any]]:
        """Progress for many jobs in one request (``POST /api/progress``).

        ``updates`` are dicts ``{"job_id", "succeeded", "failed", "items", "add_total", "message"}``, at most 1000.
        Every update is checked before anything is sent (here and by the server: a bad one raises and writes
        nothing). Returns one result per update, in order: ``{"id", "progress"}``, or ``{"id", "status", "error",
        "state"}`` for an update its job refused (missing: 404, finished: 409).
        """
        body = []
        for i, u in enumerate(updates):
            if not isinstance(u, dict):
                raise TypeError("updates[%d]: must be a dict {job_id, succeeded, ...}" % i)
            unknown = set(u) - {"job_id", "succeeded", "failed", "items", "add_total", "message"}
            if unknown:
                raise ValueError("updates[%d]: unknown fields %s" % (i, sorted(unknown)))
            entry = {"id": _job_id(u.get("job_id"), "updates[%d].job_id" % i)}
            entry.update(
                _progress_body(
                    u.get("succeeded", 0), u.get("failed", 0), u.get("items"), u.get("add_total", 0), u.get("message")
                )
            )
            body.append(entry)
        if not body:
            raise ValueError("updates: must not be empty")
        if len(body) > 1000:
            raise ValueError("updates: at most 1000 per call, was %d" % len(body))
        return self._request("POST", "/api/progress", {"updates": body})["results"]

    def record_success(self, job_id: str, key: Optional[str] = None, count: int = 1) -> Dict[str, Any]:
        """One success: of item ``key`` (idempotent), or ``count`` anonymous units."""
        if key is not None:
            return self.record_progress(job_id, items=[{"key": key, "outcome": "SUCCESS"}])
        return self.record_progress(job_id, succeeded=count)

    def record_failure(
        self, job_id: str, key: Optional[str] = None, reason: Optional[str] = None, count: int = 1
    ) -> Dict[str, Any]:
        """One failure: of item ``key`` (with ``reason``), or ``count`` anonymous units."""
        if key is not None:
            return self.record_progress(job_id, items=[{"key": key, "outcome": "FAILURE", "reason": reason}])
        return self.record_progress(job_id, failed=count)

    def items(
        self, job_id: str, *, outcome: Optional[str] = None, after: Optional[str] = None, limit: Optional[int] = None
    ) -> Dict[str, Any]:
        """One page of keyed items: ``{"items": [{"key", "outcome", "reason"}], "next": key or None}``."""
        q = {}  # type: Dict[str, Any]
        if outcome is not None:
            oc = (_text(outcome, "outcome", required=True) or "").upper()
            if oc not in ("SUCCESS", "FAILURE"):
                raise ValueError("outcome: must be SUCCESS or FAILURE, was %r" % outcome)
            q["outcome"] = oc
        if after is not None:
            q["after"] = _text(after, "after", required=True)
        if limit is not None:
            q["limit"] = _count(limit, "limit")
        return self._request("GET", self._job_path(job_id) + "/items", query=q)

    def logs(self, job_id: str, *, after: Optional[int] = None, limit: Optional[int] = None) -> Dict[str, Any]:
        """One page of log records: ``{"logs": [{"seq", "at", "level", "logger", "message"}], "next"}``."""
        q = {}  # type: Dict[str, Any]
        if after is not None:
            q["after"] = _count(after, "after")
        if limit is not None:
            q["limit"] = _count(limit, "limit")
        return self._request("GET", self._job_path(job_id) + "/logs", query=q)

    def reporter(
        self, job_id: str, every: float = 2.0, clock: Callable[[], float] = time.monotonic
    ) -> "Reporter":
        """A throttled reporter for a loop of many units (RedisProgress's ``tick!``); see :class:`Reporter`."""
        return Reporter(self, job_id, every=every, clock=clock)

    # ---- lifecycle ----------------------------------------------------------------------------------------------

    def start_job(self, job_id: str) -> Dict[str, Any]:
        """PENDING → RUNNING. Raises TallyConflictError when the state forbids it."""
        return self._request("POST", self._job_path(job_id) + "/start")

    def finish_job(self, job_id: str, result: Any = None) -> Dict[str, Any]:
        """Ends the job SUCCEEDED with ``result`` (any JSON value). Finishing again is a no-op; finishing a failed or
        cancelled job raises TallyConflictError (``.state`` says which)."""
        body = {"result": result} if result is not None else None
        return self._request("POST", self._job_path(job_id) + "/finish", body)

    def fail_job(self, job_id: str, error: Optional[str] = None) -> Dict[str, Any]:
        """Ends the job FAILED with the error message ``error``."""
        body = {"error": _text(error, "error")} if error is not None else None
        return self._request("POST", self._job_path(job_id) + "/fail", body)

    def cancel_job(self, job_id: str, reason: Optional[str] = None) -> Dict[str, Any]:
        """Ends the job CANCELLED."""
        body = {"reason": _text(reason, "reason")} if reason is not None else None
        return self._request("POST", self._job_path(job_id) + "/cancel", body)

    def heartbeat(self, job_id: str) -> Dict[str, Any]:
        """Renews the job's lease (for jobs created with ``heartbeat``)."""
        return self._request("POST", self._job_path(job_id) + "/heartbeat")

    # ---- parts (map-reduce) -------------------------------------------------------------------------------------

    def complete_part(self, job_id: str, part: int) -> PartCompletion:
        """Marks part ``part`` succeeded. Exactly one call per job gets ``last=True``: run the reduce on it. A
        redelivered part answers ``changed=False, last=False``."""
        path = "%s/parts/%d/complete" % (self._job_path(job_id), _part(part))
        return self._completion(self._request("POST", path))

    def complete_parts(self, job_id: str, parts: Iterable[int]) -> PartCompletion:
        """Marks several parts succeeded in one atomic step; ``last=True`` when these completed the job's last pending
        part (exactly once per job)."""
        numbers = [_part(p) for p in parts]
        if not numbers:
            raise ValueError("parts: must not be empty")
        path = "%s/parts/complete" % self._job_path(job_id)
        return self._completion(self._request("POST", path, {"parts": numbers}))

    def fail_part(
        self, job_id: str, part: int, reason: Optional[str] = None, fail_job: bool = False
    ) -> PartCompletion:
        """Marks part ``part`` failed; with ``fail_job=True`` the whole job fails (watchbot's ``fail_job_on``)."""
        body = {}  # type: Dict[str, Any]
        if reason is not None:
            body["reason"] = _text(reason, "reason")
        if not isinstance(fail_job, bool):
            raise TypeError("fail_job: must be True or False")
        if fail_job:
            body["failJob"] = True
        path = "%s/parts/%d/fail" % (self._job_path(job_id), _part(part))
        return self._completion(self._request("POST", path, body or None))

    def parts(
        self, job_id: str, state: str = "pending", *, after: Optional[int] = None, limit: Optional[int] = None
    ) -> Dict[str, Any]:
        """One page of part numbers in ``state`` (pending, succeeded, failed): ``{"state", "parts", "next"}``."""
        st = (_text(state, "state", required=True) or "").lower()
        if st not in ("pending", "succeeded", "failed"):
            raise ValueError("state: must be pending, succeeded or failed, was %r" % state)
        q = {"state": st}  # type: Dict[str, Any]
        if after is not None:
            q["after"] = _count(after, "after")
        if limit is not None:
            q["limit"] = _count(limit, "limit")
        return self._request("GET", self._job_path(job_id) + "/parts", query=q)

    def pending_parts(self, job_id: str) -> List[int]:
        """Every pending part number (watchbot's ``pending``), following the pages."""
        out = []  # type: List[int]
        after = None  # type: Optional[int]
        while True:
            page = self.parts(job_id, "pending", after=after)
            out.extend(page["parts"])
            if page.get("next") is None:
                return out
            after = page["next"]

    # ---- operations ---------------------------------------------------------------------------------------------

    def stats(self) -> Dict[str, Any]:
        """``{"states": {"PENDING": n, ...}, "total": n}``."""
        return self._request("GET", "/api/stats")

    def sweep(self) -> Dict[str, Any]:
        """Runs the sweeper now: ``{"stalled", "timedOut", "deleted"}``."""
        return self._request("POST", "/api/sweep")

    # ---- events -------------------------------------------------------------------------------------------------

    def events(
        self,
        *,
        job: Optional[str] = None,
        scope: Optional[str] = None,
        parent: Optional[str] = None,
        last_event_id: Union[None, str, int] = None,
        reconnect: bool = True,
        retry_delay: Optional[float] = None,
        max_reconnects: Optional[int] = None,
        read_timeout: Optional[float] = 60.0,
    ) -> EventStream:
        """Follows ``GET /api/events`` (one job's, a scope's, a parent's children's, or all events).

        The first connection is opened here, so a bad filter or an unknown job raises at once. Without
        ``last_event_id`` the stream opens with a ``snapshot`` event; with it, the server replays the events after
        that id from its buffer (or sends a snapshot when the id is older than the buffer). The stream reconnects
        with ``Last-Event-ID`` on its own; see :class:`~tally_client.sse.EventStream`.
        """
        q = {}  # type: Dict[str, str]
        given = [k for k, v in (("job", job), ("scope", scope), ("parent", parent)) if v is not None]
        if len(given) > 1:
            raise ValueError("give at most one of job, scope and parent, got %s" % ", ".join(given))
        if job is not None:
            q["job"] = _job_id(job, "job")
        if scope is not None:
            q["scope"] = _text(scope, "scope", required=True) or ""
        if parent is not None:
            q["parent"] = _job_id(parent, "parent")
        if last_event_id is not None:
            if isinstance(last_event_id, int) and not isinstance(last_event_id, bool):
                last_event_id = str(last_event_id)
            last_event_id = str(_text(last_event_id, "last_event_id"))
            if any(c in last_event_id for c in "\r\n\0"):
                raise ValueError("last_event_id: must not contain line breaks")
        if read_timeout is not None and read_timeout <= 0:
            raise ValueError("read_timeout: must be positive or None")
        path = self._prefix + "/api/events" + ("?" + urllib.parse.urlencode(q) if q else "")

        def opener(last_id: Optional[str], read_to: Optional[float]) -> Tuple[Any, Any]:
            headers = self._headers()
            headers["Accept"] = "text/event-stream"
            headers["Cache-Control"] = "no-cache"
            if last_id:
                headers["Last-Event-ID"] = last_id
            conn = self._connection(read_to)
            try:
                conn.request("GET", path, headers=headers)
                handle = _StreamConnection(conn)
                resp = conn.getresponse()
            except (OSError, http.client.HTTPException) as e:
                conn.close()
                raise TallyConnectionError("GET %s: %s" % (path, e))
            handle.response = resp
            if resp.status != 200:
                raw = resp.read()
                handle.close()
                raise error_for(resp.status, _parse(raw))
            return handle, resp

        stream = EventStream(
            opener,
            last_event_id=last_event_id,
            reconnect=reconnect,
            retry_delay=retry_delay,
            max_reconnects=max_reconnects,
            read_timeout=read_timeout,
        )
        stream.open()
        return stream

    def follow_job(self, job_id: str, **options: Any) -> Iterator[Event]:
        """The events of one job until it ends: yields each event, and stops after the first one that shows the job
        in a terminal state (or deleted). Options as for :meth:`events`."""
        with self.events(job=job_id, **options) as stream:
            for ev in stream:
                yield ev
                job = ev.job
                if ev.event in _TERMINAL_EVENTS or (job is not None and job.get("state") in TERMINAL_STATES):
                    return

    # ---- plumbing -----------------------------------------------------------------------------------------------

    @staticmethod
    def _completion(body: Dict[str, Any]) -> PartCompletion:
        return PartCompletion(bool(body["changed"]), int(body["remaining"]), bool(body["last"]))

    def _job_path(self, job_id: str) -> str:
        return "/api/jobs/" + urllib.parse.quote(_job_id(job_id), safe="")

    def _headers(self) -> Dict[str, str]:
        h = {"Accept": "application/json", "User-Agent": "tally-client-python/0.1"}
        if self._token:
            h["Authorization"] = "Bearer " + self._token
        return h

    def _connection(self, timeout: Optional[float]) -> http.client.HTTPConnection:
        if self._https:
            ctx = self._ssl or ssl.create_default_context()
            return http.client.HTTPSConnection(self._host, self._port, timeout=timeout, context=ctx)
        return http.client.HTTPConnection(self._host, self._port, timeout=timeout)

    def _request(
        self,
        method: str,
        path: str,
        body: Any = None,
        query: Optional[Dict[str, Any]] = None,
        expect: int = 200,
    ) -> Any:
        url = self._prefix + path
        if query:
            url += "?" + urllib.parse.urlencode(query)
        headers = self._headers()
        data = None
        if body is not None:
            try:
                data = json.dumps(body, separators=(",", ":"), allow_nan=False).encode("utf-8")
            except (TypeError, ValueError) as e:
                raise ValueError("the request body is not JSON: %s" % e)
            headers["Content-Type"] = "application/json"
        conn = self._connection(self._timeout)
        try:
            conn.request(method, url, body=data, headers=headers)
            resp = conn.getresponse()
            raw = resp.read()
        except (OSError, http.client.HTTPException) as e:
            raise TallyConnectionError("%s %s: %s" % (method, url, e))
        finally:
            conn.close()
        parsed = _parse(raw)
        if not 200 <= resp.status < 300:
            raise error_for(resp.status, parsed)
        return parsed


class _StreamConnection:
    """An event stream's connection. ``close()`` may come from another thread while the stream's thread is blocked in
    a read: it shuts the socket down first, which wakes that read at once (closing alone would not)."""

    def __init__(self, conn: http.client.HTTPConnection) -> None:
        self._conn = conn
        self._sock = conn.sock  # kept: getresponse() may hand the socket to the response and clear conn.sock
        self.response = None  # type: Any

    def close(self) -> None:
        if self._sock is not None:
            try:
                self._sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
        self._conn.close()
        if self.response is not None:
            self.response.close()


def _parse(raw: bytes) -> Any:
    if not raw:
        return None
    text = raw.decode("utf-8", "replace")
    try:
        return json.loads(text)
    except ValueError:
        return text


class Reporter:
    """Throttled progress for a loop of many units, without losing a count (RedisProgress's ``tick!``, done right).

    :meth:`tick` only adds to counters held here; it writes (one ``progress`` request with the increments) when
    ``every`` seconds passed since the last write by ``clock``. :meth:`flush` and :meth:`close` write what is left
    (``with`` closes). Several reporters on one job add up, because only increments are sent. If a write fails the
    counts are kept for the next one and the error is raised. Safe to share between threads.
    """

    def __init__(
        self, client: TallyClient, job_id: str, every: float = 2.0, clock: Callable[[], float] = time.monotonic
    ) -> None:
        if not isinstance(every, (int, float)) or isinstance(every, bool) or every < 0:
            raise ValueError("every: must be a non-negative number of seconds, was %r" % (every,))
        self._client = client
        self.job_id = _job_id(job_id)
        self._every = float(every)
        self._clock = clock
        self._lock = threading.Lock()
        self._succeeded = 0
        self._failed = 0
        self._last = clock()
        self.writes = 0

    def tick(self, succeeded: Optional[int] = None, failed: int = 0) -> Optional[Dict[str, Any]]:
        """Adds units: ``tick()`` one success, ``tick(5)`` five, ``tick(failed=1)`` one failure (no success).
        Writes when the interval passed; returns the job when it wrote, else None."""
        if succeeded is None:
            succeeded = 0 if failed else 1
        _count(succeeded, "succeeded")
        _count(failed, "failed")
        with self._lock:
            self._succeeded += succeeded
            self._failed += failed
            due = self._clock() - self._last >= self._every
        return self.flush() if due else None

    def flush(self) -> Optional[Dict[str, Any]]:
        """Writes the buffered units now (nothing to write: returns None)."""
        with self._lock:
            ok, bad = self._succeeded, self._failed
            self._succeeded = self._failed = 0
            self._last = self._clock()
        if not ok and not bad:
            return None
        try:
            job = self._client.record_progress(self.job_id, succeeded=ok, failed=bad)
        except BaseException:
            with self._lock:
                self._succeeded += ok
                self._failed += bad
            raise
        with self._lock:
            self.writes += 1
        return job

    def close(self) -> None:
        """Writes what is left."""
        self.flush()

    def finish(self, result: Any = None) -> Dict[str, Any]:
        """Writes what is left, then finishes the job with ``result``."""
        self.flush()
        return self._client.finish_job(self.job_id, result)

    def __enter__(self) -> "Reporter":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

"""Server-sent events: a parser of the ``text/event-stream`` format and a stream that reconnects with
``Last-Event-ID``.

The parser follows the HTML specification's rules: lines end with CRLF, LF or CR; ``data`` lines join with LF; a blank
line dispatches; ``id`` sets the last event id (even for an event without data) unless it contains NUL; ``retry`` sets
the reconnection delay; lines starting with ``:`` are comments (the server's heartbeats).
"""

import codecs
import http.client
import json
import threading
from typing import Any, Callable, Iterator, List, Optional

__all__ = ["Event", "SseParser", "EventStream"]


class Event:
    """One server-sent event.

    Attributes:
        id: the event's id (the server's sequence number as text), or None
        event: the event type (``snapshot``, ``created``, ``started``, ``progress``, ``part``, ``settled``,
            ``finished``, ``failed``, ``cancelled``, ``skipped``, ``deleted``; ``message`` when the server named none)
        data: the data parsed as JSON (``{"type", "part"?, "job"}``, or ``{"type": "SNAPSHOT", "job" | "jobs",
            "stats"}``), or the raw text when it is not JSON
        raw: the data text as received
    """

    __slots__ = ("id", "event", "data", "raw")

    def __init__(self, id: Optional[str], event: str, raw: str) -> None:
        self.id = id
        self.event = event
        self.raw = raw
        try:
            self.data = json.loads(raw)  # type: Any
        except ValueError:
            self.data = raw

    @property
    def job(self) -> Optional[dict]:
        """The job snapshot the event carries (``data["job"]``), or None."""
        return self.data.get("job") if isinstance(self.data, dict) else None

    def __repr__(self) -> str:
        return "Event(id=%r, event=%r)" % (self.id, self.event)


class SseParser:
    """Turns decoded text, fed in pieces of any size, into :class:`Event` objects."""

    def __init__(self) -> None:
        self.last_event_id = None  # type: Optional[str]
        self.retry_ms = None  # type: Optional[int]
        self._buf = ""
        self._skip_lf = False  # the previous piece ended with CR: a LF that starts the next one belongs to it
        self._data = []  # type: List[str]
        self._type = ""
        self._has_data = False

    def feed(self, text: str) -> List[Event]:
        """Parses ``text``; returns the events it completed (an incomplete line waits for the next piece)."""
        out = []  # type: List[Event]
        if self._skip_lf and text.startswith("\n"):
            text = text[1:]
        self._skip_lf = False
        buf = self._buf + text
        start = 0
        n = len(buf)
        i = 0
        while i < n:
            c = buf[i]
            if c == "\r" or c == "\n":
                line = buf[start:i]
                if c == "\r":
                    if i + 1 < n:
                        if buf[i + 1] == "\n":
                            i += 1
                    else:
                        self._skip_lf = True
                self._line(line, out)
                start = i + 1
            i += 1
        self._buf = buf[start:]
        return out

    def _line(self, line: str, out: List[Event]) -> None:
        if line == "":
            if self._has_data:
                data = "\n".join(self._data)
                out.append(Event(self.last_event_id, self._type or "message", data))
            self._data = []
            self._type = ""
            self._has_data = False
            return
        if line.startswith(":"):
            return  # a comment: the server's heartbeat
        field, sep, value = line.partition(":")
        if sep and value.startswith(" "):
            value = value[1:]
        if field == "data":
            self._data.append(value)
            self._has_data = True
        elif field == "event":
            self._type = value
        elif field == "id":
            if "\0" not in value:
                self.last_event_id = value
        elif field == "retry":
            if value.isdigit():
                self.retry_ms = int(value)


class EventStream:
    """An iterator of :class:`Event` that follows ``GET /api/events`` and reconnects on its own.

    When the connection ends or breaks (or no byte arrives for ``read_timeout`` seconds; the server sends a heartbeat
    comment every 15 s), the stream waits the server's ``retry`` delay (or ``retry_delay``) and reconnects, sending
    ``Last-Event-ID`` with the id of the last event it saw, so the server replays what was missed from its buffer (or
    opens with a fresh ``snapshot`` when the id is too old). An error answer (4xx) ends the iteration with the
    :class:`~tally_client.errors.TallyError`; 5xx answers and network errors are retried, ``max_reconnects`` times in
    a row at most (None: forever).

    Use it as a context manager or call :meth:`close` (from any thread) to stop; iteration then ends.

    Attributes:
        last_event_id: the id of the last event received (sent as ``Last-Event-ID`` on the next connection)
        connections: how many connections were opened so far
    """

    def __init__(
        self,
        opener: Callable[[Optional[str], Optional[float]], Any],
        last_event_id: Optional[str] = None,
        reconnect: bool = True,
        retry_delay: Optional[float] = None,
        max_reconnects: Optional[int] = None,
        read_timeout: Optional[float] = 60.0,
    ) -> None:
        self._opener = opener
        self.last_event_id = last_event_id
        self._reconnect = reconnect
        self._retry_delay = retry_delay
        self._max_reconnects = max_reconnects
        self._read_timeout = read_timeout
        self._closed = threading.Event()
        self._conn = None  # type: Any
        self._lock = threading.Lock()
        self.connections = 0
        self._pending = None  # type: Any
        self._gen = self._run()

    def open(self) -> "EventStream":
        """Opens the first connection now, so an error answer (an unknown job, a wrong token) or an unreachable
        server raises here rather than at the first ``next()``. Optional: iterating opens it too."""
        if self._pending is None and self.connections == 0:
            self._pending = self._opener(self.last_event_id, self._read_timeout)
        return self

    def __iter__(self) -> "EventStream":
        return self

    def __next__(self) -> Event:
        return next(self._gen)

    def __enter__(self) -> "EventStream":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    @property
    def closed(self) -> bool:
        return self._closed.is_set()

    def close(self) -> None:
        """Stops the stream: closes the connection; the iteration ends."""
        self._closed.set()
        with self._lock:
            conn = self._conn
            if conn is None and self._pending is not None:
                conn = self._pending[0]
                self._pending = None
        if conn is not None:
            try:
                conn.close()
            except Exception:  # noqa: BLE001 - closing a broken connection
                pass

    def _run(self) -> Iterator[Event]:
        from .errors import TallyConnectionError, TallyError  # local: avoids an import cycle

        failures = 0
        retry_ms = None  # type: Optional[int]
        while not self._closed.is_set():
            parser = SseParser()
            parser.last_event_id = self.last_event_id
            try:
                if self._pending is not None:
                    conn, resp = self._pending
                    self._pending = None
                else:
                    conn, resp = self._opener(self.last_event_id, self._read_timeout)
            except TallyError as e:
                retryable = isinstance(e, TallyConnectionError) or e.status >= 500
                if not (retryable and self._reconnect) or self._closed.is_set():
                    if self._closed.is_set():
                        return
                    raise
                failures += 1
                if self._max_reconnects is not None and failures > self._max_reconnects:
                    raise
                self._wait(retry_ms)
                continue
            with self._lock:
                self._conn = conn
            if self._closed.is_set():
                conn.close()
                return
            self.connections += 1
            failures = 0
            decoder = codecs.getincrementaldecoder("utf-8")("replace")
            try:
                while not self._closed.is_set():
                    chunk = resp.read1(65536)
                    if not chunk:
                        break
                    for ev in parser.feed(decoder.decode(chunk)):
                        self.last_event_id = parser.last_event_id
                        yield ev
                    # An id on an event without data still counts (the spec's rule).
                    self.last_event_id = parser.last_event_id
            except (OSError, ValueError, AttributeError, http.client.HTTPException):
                # Read timeout, reset, or the connection closed under us by close(): reconnect or stop.
                pass
            finally:
                with self._lock:
                    self._conn = None
                try:
                    conn.close()
                except Exception:  # noqa: BLE001
                    pass
            if parser.retry_ms is not None:
                retry_ms = parser.retry_ms
            if not self._reconnect or self._closed.is_set():
                return
            self._wait(retry_ms)

    def _wait(self, retry_ms: Optional[int]) -> None:
        delay = self._retry_delay if self._retry_delay is not None else (retry_ms or 2000) / 1000.0
        # Waits for the reconnection delay, but returns at once when the stream is closed.
        self._closed.wait(delay)


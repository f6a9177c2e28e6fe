"""Tests of the Python client against a real ``tally serve`` (started once for this module; see harness.py).

Run from clients/python:  python3 -m unittest discover -s tests -v
"""

import os
import queue
import re
import sys
import threading
import time
import unittest
import uuid

sys.path.insert(0, os.path.abspath(os.path.dirname(__file__)))
sys.path.insert(0, os.path.abspath(os.path.join(os.path.dirname(__file__), "..")))

from harness import Relay, TallyServer  # noqa: E402

from tally_client import (  # noqa: E402
    PartCompletion,
    SseParser,
    TallyAuthError,
    TallyClient,
    TallyConflictError,
    TallyConnectionError,
    TallyInvalidError,
    TallyNotFoundError,
)

SERVER = None  # type: TallyServer


def setUpModule():
    global SERVER
    SERVER = TallyServer().start()


def tearDownModule():
    if SERVER is not None:
        SERVER.stop()


def client(token="default"):
    return TallyClient(SERVER.url, token=SERVER.token if token == "default" else token, timeout=30)


def unique(prefix):
    return "%s-%s" % (prefix, uuid.uuid4().hex[:10])


def without_created(events):
    """The events without ``created``. The server's hub receives the store's events asynchronously, so a stream opened
    right after a job was created can get a snapshot that already shows the job, with an id from before its
    ``created`` event, and then that ``created`` event (live, or replayed after the snapshot's id)."""
    return [e for e in events if e.event != "created"]


def collect(stream, until, limit_seconds=30.0):
    """Reads events until ``until(event)`` is true; a watchdog closes the stream (ending the test) if it hangs."""
    got = []
    watchdog = threading.Timer(limit_seconds, stream.close)
    watchdog.daemon = True
    watchdog.start()
    try:
        for ev in stream:
            got.append(ev)
            if until(ev):
                return got
        raise AssertionError("the stream ended before the expected event; got %r" % got)
    finally:
        watchdog.cancel()



def event_number(event_id):
    """The number in an event id ``<stream>-<number>``: increasing within one server's stream."""
    return int(event_id.rsplit("-", 1)[1])


class WatchbotFlowTest(unittest.TestCase):
    """watchbot-progress: create_job(parts), parts completed concurrently, exactly one reduce."""

    def test_three_parts_completed_concurrently_give_exactly_one_last(self):
        tally = client()
        for _ in range(10):  # ten jobs: ten chances for a race to show
            job = tally.create_job(unique("tiles"), parts=[{"tile": "a"}, {"tile": "b"}, {"tile": "c"}])
            self.assertEqual(job["state"], "PENDING")
            self.assertEqual(job["parts"], 3)
            self.assertEqual(job["total"], 3)
            self.assertEqual(tally.pending_parts(job["id"]), [0, 1, 2])
            barrier = threading.Barrier(3)
            answers = [None, None, None]
            errors = []

            def worker(n):
                try:
                    barrier.wait(10)
                    answers[n] = tally.complete_part(job["id"], n)
                except BaseException as e:  # noqa: BLE001 - reported below
                    errors.append(e)

            threads = [threading.Thread(target=worker, args=(n,)) for n in range(3)]
            for t in threads:
                t.start()
            for t in threads:
                t.join(60)
            self.assertEqual(errors, [])
            self.assertTrue(all(isinstance(a, PartCompletion) for a in answers))
            self.assertEqual(sum(1 for a in answers if a.last), 1, answers)
            self.assertTrue(all(a.changed for a in answers), answers)
            self.assertEqual(sorted(a.remaining for a in answers), [0, 1, 2])
            done = tally.get_job(job["id"])
            self.assertEqual(done["state"], "SUCCEEDED")
            self.assertTrue(done["settled"])
            self.assertEqual((done["succeeded"], done["failed"], done["pending"]), (3, 0, 0))
            self.assertEqual(tally.pending_parts(job["id"]), [])
            self.assertEqual(tally.parts(job["id"], "succeeded")["parts"], [0, 1, 2])
            # A redelivered part is not a second reduce.
            again = tally.complete_part(job["id"], 1)
            self.assertEqual(again, PartCompletion(changed=False, remaining=0, last=False))

    def test_fail_job_on_a_part_fails_the_job_and_later_parts_are_refused(self):
        tally = client()
        job = tally.create_job(unique("tiles"), parts=[{"n": 0}, {"n": 1}, {"n": 2}])
        first = tally.complete_part(job["id"], 0)
        self.assertEqual(first, PartCompletion(True, 2, False))
        failed = tally.fail_part(job["id"], 1, reason="corrupt tile", fail_job=True)
        self.assertFalse(failed.last)
        got = tally.get_job(job["id"])
        self.assertEqual(got["state"], "FAILED")
        self.assertEqual(got["error"]["reason"], "PART_FAILED")
        self.assertEqual(got["error"]["message"], "corrupt tile")
        with self.assertRaises(TallyConflictError) as cm:
            tally.complete_part(job["id"], 2)
        self.assertEqual(cm.exception.status, 409)
        self.assertEqual(cm.exception.code, "finished")
        self.assertTrue(cm.exception.finished)
        self.assertEqual(cm.exception.state, "FAILED")
        self.assertEqual(tally.parts(job["id"], "failed")["parts"], [1])

    def test_a_tolerated_failure_still_settles_once(self):
        tally = client()
        job = tally.create_job(unique("tiles"), parts=[{}, {}], tolerated_failures=1)
        self.assertFalse(tally.fail_part(job["id"], 0, reason="flaky").last)
        self.assertTrue(tally.complete_part(job["id"], 1).last)
        self.assertEqual(tally.get_job(job["id"])["state"], "SUCCEEDED")


class BatchTest(unittest.TestCase):
    """POST /api/progress and POST /api/jobs/{id}/parts/complete."""

    def test_progress_for_many_jobs_each_answered_in_its_place(self):
        tally = client()
        a = tally.create_job(unique("a"), total=10)
        b = tally.create_job(unique("b"), total=10)
        tally.cancel_job(b["id"], "stop")
        results = tally.record_progress_many(
            [
                {"job_id": a["id"], "succeeded": 2, "items": [{"key": "k1"}, {"key": "k1"}]},
                {"job_id": b["id"], "succeeded": 1},
                {"job_id": a["id"], "failed": 1, "message": "both"},
            ]
        )
        self.assertEqual(len(results), 3)
        self.assertEqual(results[0]["id"], a["id"])
        self.assertGreaterEqual(results[0]["progress"]["succeeded"], 3)
        self.assertEqual(results[1]["status"], 409)
        self.assertEqual(results[1]["error"]["code"], "finished")
        self.assertEqual(results[1]["state"], "CANCELLED")
        got = tally.get_job(a["id"])
        self.assertEqual([got["succeeded"], got["failed"], got["message"]], [3, 1, "both"])
        self.assertEqual(tally.get_job(b["id"])["succeeded"], 0)

    def test_a_bad_update_is_refused_before_anything_is_sent(self):
        tally = client()
        a = tally.create_job(unique("a"), total=10)
        with self.assertRaises(ValueError):
            tally.record_progress_many([{"job_id": a["id"], "succeeded": 1}, {"job_id": a["id"], "succeeded": -1}])
        with self.assertRaises(ValueError):
            tally.record_progress_many([{"job_id": a["id"], "sucEEded": 1}])
        with self.assertRaises(ValueError):
            tally.record_progress_many([])
        self.assertEqual(tally.get_job(a["id"])["succeeded"], 0)

    def test_many_parts_in_one_atomic_step_last_once(self):
        tally = client()
        job = tally.create_job(unique("tiles"), parts=[{}, {}, {}, {}, {}])
        self.assertEqual(tuple(tally.complete_parts(job["id"], [0, 1, 2])), (True, 2, False))
        self.assertEqual(tuple(tally.complete_parts(job["id"], [2, 3, 4])), (True, 0, True))
        self.assertEqual(tuple(tally.complete_parts(job["id"], [4])), (False, 0, False))
        with self.assertRaises(ValueError):
            tally.complete_parts(job["id"], [-1])
        self.assertEqual(tally.get_job(job["id"])["state"], "SUCCEEDED")


class RedisProgressFlowTest(unittest.TestCase):
    """RedisProgress: a job with a total in a user's scope, throttled ticks, items, finished with a result."""

    def test_total_progress_items_and_result(self):
        tally = client()
        scope = unique("user:3421")
        job = tally.create_job("import", scope=scope, total=10, metadata={"created_at": "2013-12-12"}, start=True)
        jid = job["id"]
        self.assertEqual((job["state"], job["total"], job["pending"], job["scope"]), ("RUNNING", 10, 10, scope))

        after = tally.record_progress(jid, succeeded=3, message="3 rows")
        self.assertEqual((after["succeeded"], after["pending"], after["percent"]), (3, 7, 30.0))
        self.assertEqual(after["message"], "3 rows")
        after = tally.record_progress(
            jid,
            items=[
                {"key": "row-4", "outcome": "SUCCESS"},
                {"key": "row-5", "outcome": "FAILURE", "reason": "bad date"},
            ],
        )
        self.assertEqual((after["succeeded"], after["failed"]), (4, 1))
        # Items are idempotent by key: again is no change; the other outcome moves the item.
        after = tally.record_success(jid, "row-4")
        self.assertEqual((after["succeeded"], after["failed"]), (4, 1))
        after = tally.record_success(jid, "row-5")
        self.assertEqual((after["succeeded"], after["failed"]), (5, 0))
        items = tally.items(jid)["items"]
        self.assertEqual(sorted((i["key"], i["outcome"]) for i in items), [("row-4", "SUCCESS"), ("row-5", "SUCCESS")])

        # tick!: throttled by the (injected) clock, never losing a count.
        now = [0.0]
        with tally.reporter(jid, every=2.0, clock=lambda: now[0]) as rep:
            for _ in range(3):
                self.assertIsNone(rep.tick())
            self.assertEqual(rep.writes, 0)
            self.assertEqual(tally.get_job(jid)["succeeded"], 5)
            now[0] = 2.0
            written = rep.tick()
            self.assertEqual(written["succeeded"], 9)
            self.assertEqual(rep.writes, 1)
            self.assertIsNone(rep.tick())  # buffered until close
        self.assertEqual(rep.writes, 2)
        job = tally.get_job(jid)
        self.assertEqual((job["succeeded"], job["failed"], job["pending"], job["percent"]), (10, 0, 0, 100.0))
        # The total may grow; a failure-only tick counts no success.
        self.assertEqual(tally.record_progress(jid, add_total=3)["pending"], 3)
        with tally.reporter(jid, every=2.0, clock=lambda: now[0]) as rep:
            rep.tick(failed=1)
            rep.tick(2)
        self.assertEqual(rep.writes, 1)
        job = tally.get_job(jid)
        self.assertEqual((job["succeeded"], job["failed"], job["total"], job["pending"]), (12, 1, 13, 0))

        done = tally.finish_job(jid, result={"rows": 10, "file": "out.csv"})
        self.assertEqual(done["state"], "SUCCEEDED")
        self.assertEqual(done["result"], {"rows": 10, "file": "out.csv"})
        self.assertIsNotNone(done["finishedAt"])
        # jobs(scope: ...): the user's jobs with their progress.
        self.assertEqual((done["total"], done["pending"]), (13, 0))
        listed = tally.list_jobs(scope=scope)
        self.assertEqual([j["id"] for j in listed["jobs"]], [jid])
        self.assertEqual(listed["jobs"][0]["percent"], 100.0)
        self.assertEqual(tally.finish_job(jid, result={"rows": 10, "file": "out.csv"})["state"], "SUCCEEDED")

    def test_several_reporters_add_up(self):
        tally = client()
        job = tally.create_job(unique("import"), total=400, start=True)
        reps = [tally.reporter(job["id"], every=0) for _ in range(4)]

        def work(r):
            for _ in range(100):
                r.tick()
            r.close()

        threads = [threading.Thread(target=work, args=(r,)) for r in reps]
        for t in threads:
            t.start()
        for t in threads:
            t.join(120)
        self.assertEqual(tally.get_job(job["id"])["succeeded"], 400)

    def test_a_reporter_keeps_its_counts_when_a_write_fails(self):
        tally = client()
        job = tally.create_job(unique("import"), total=5, start=True)
        tally.cancel_job(job["id"], reason="user stopped it")
        rep = tally.reporter(job["id"], every=60, clock=lambda: 0.0)
        rep.tick(2)
        with self.assertRaises(TallyConflictError) as cm:
            rep.flush()
        self.assertEqual(cm.exception.state, "CANCELLED")
        with self.assertRaises(TallyConflictError):
            rep.flush()  # the two units are still held, so it tries again


class ReadAndListTest(unittest.TestCase):
    def test_list_pages_follow_the_cursor(self):
        tally = client()
        scope = unique("tenant")
        ids = [tally.create_job("n%d" % i, scope=scope)["id"] for i in range(5)]
        first = tally.list_jobs(scope=scope, limit=2)
        self.assertEqual(len(first["jobs"]), 2)
        self.assertIsNotNone(first["next"])
        every = [j["id"] for j in tally.iter_jobs(scope=scope, limit=2)]
        self.assertEqual(sorted(every), sorted(ids))
        self.assertEqual(every, list(reversed(ids)))  # newest first
        self.assertEqual([j["id"] for j in tally.list_jobs(scope=scope, state="pending")["jobs"]], every)

    def test_get_has_rollup_and_delete_removes(self):
        tally = client()
        parent = tally.create_job(unique("parent"), total=1)
        tally.create_job(unique("child"), parent=parent["id"], total=2, start=True)
        got = tally.get_job(parent["id"])
        self.assertEqual(got["rollup"]["total"], 3)
        tally.delete_job(parent["id"])
        with self.assertRaises(TallyNotFoundError):
            tally.get_job(parent["id"])

    def test_stats(self):
        stats = client().stats()
        self.assertIn("RUNNING", stats["states"])
        self.assertGreaterEqual(stats["total"], 0)


class ErrorsTest(unittest.TestCase):
    def test_unknown_job_is_404_with_the_servers_fields(self):
        with self.assertRaises(TallyNotFoundError) as cm:
            client().get_job("no-such-job")
        e = cm.exception
        self.assertEqual((e.status, e.code), (404, "not_found"))
        self.assertIn("no-such-job", e.message)
        self.assertEqual(e.body["error"]["code"], "not_found")

    def test_conflicts_carry_the_state(self):
        tally = client()
        job = tally.create_job(unique("c"))
        tally.cancel_job(job["id"], reason="stop")
        with self.assertRaises(TallyConflictError) as cm:
            tally.finish_job(job["id"], result=1)
        e = cm.exception
        self.assertEqual((e.status, e.code, e.state, e.target), (409, "conflict", "CANCELLED", "SUCCEEDED"))
        self.assertFalse(e.finished)
        with self.assertRaises(TallyConflictError) as cm:
            tally.record_progress(job["id"], succeeded=1)
        self.assertEqual((cm.exception.code, cm.exception.state), ("finished", "CANCELLED"))
        # A repeated terminal transition is a no-op, not an error.
        self.assertEqual(tally.cancel_job(job["id"])["state"], "CANCELLED")

    def test_a_taken_id_is_a_conflict_without_state(self):
        tally = client()
        jid = unique("fixed")
        tally.create_job("x", id=jid)
        with self.assertRaises(TallyConflictError) as cm:
            tally.create_job("y", id=jid)
        self.assertEqual(cm.exception.code, "conflict")
        self.assertIsNone(cm.exception.state)

    def test_the_server_refuses_what_only_it_can_check(self):
        tally = client()
        with self.assertRaises(TallyInvalidError) as cm:
            tally.create_job("x", timeout="ten minutes")
        self.assertEqual((cm.exception.status, cm.exception.code), (400, "invalid"))
        job = tally.create_job(unique("p"), parts=[{}])
        with self.assertRaises(TallyInvalidError):
            tally.complete_part(job["id"], 5)
        with self.assertRaises(TallyInvalidError) as cm:
            tally.create_job("orphan", parent="no-such-parent")
        self.assertIn("parent", cm.exception.message)

    def test_bad_input_is_refused_before_anything_is_sent(self):
        # A client of a port where nothing listens: a ValueError/TypeError proves no request was tried.
        dead = TallyClient("http://127.0.0.1:9", token="t", timeout=2)
        with self.assertRaises(TallyConnectionError):
            dead.get_job("some-job")
        cases = [
            lambda: dead.get_job(""),
            lambda: dead.get_job("a/../b"),
            lambda: dead.complete_part("", 0),
            lambda: dead.complete_part("job", -1),
            lambda: dead.fail_part("job", -2),
            lambda: dead.record_progress("job", succeeded=-1),
            lambda: dead.record_progress("job", failed=-5),
            lambda: dead.record_progress("job", add_total=-1),
            lambda: dead.record_progress("job", items=[{"key": ""}]),
            lambda: dead.record_progress("job", items=[{"key": "k", "outcome": "MAYBE"}]),
            lambda: dead.create_job(""),
            lambda: dead.create_job("x", total=-3),
            lambda: dead.create_job("x", timeout=-1),
            lambda: dead.create_job("x", parts=[1, 2]),
            lambda: dead.create_job("x", metadata=[1]),
            lambda: dead.finish_job("job", result=float("nan")),
            lambda: dead.list_jobs(state="DONE"),
            lambda: dead.events(job="x", scope="y"),
            lambda: dead.reporter("job").tick(-1),
        ]
        for i, case in enumerate(cases):
            with self.subTest(case=i):
                with self.assertRaises((ValueError, TypeError)):
                    case()
        with self.assertRaises(ValueError):
            TallyClient("ftp://host")
        with self.assertRaises(ValueError):
            TallyClient("http://h", token="a\nb")


class TokenTest(unittest.TestCase):
    def test_writes_need_the_token_reads_do_not(self):
        anonymous = client(token=None)
        with self.assertRaises(TallyAuthError) as cm:
            anonymous.create_job("x")
        self.assertEqual((cm.exception.status, cm.exception.code), (401, "unauthorized"))
        with self.assertRaises(TallyAuthError) as cm:
            client(token="wrong").create_job("x")
        self.assertIn("wrong token", cm.exception.message)
        job = client().create_job(unique("t"))
        self.assertEqual(anonymous.get_job(job["id"])["id"], job["id"])
        with self.assertRaises(TallyAuthError):
            anonymous.complete_part(job["id"], 0)


class EventsTest(unittest.TestCase):
    def test_follow_a_job_from_snapshot_to_finished(self):
        tally = client()
        job = tally.create_job(unique("ev"), total=2)
        seen = []
        ready = threading.Event()

        def follow():
            for ev in tally.follow_job(job["id"], read_timeout=30, max_reconnects=0):
                seen.append(ev)
                ready.set()

        t = threading.Thread(target=follow, daemon=True)
        t.start()
        self.assertTrue(ready.wait(30), "no snapshot")
        tally.start_job(job["id"])
        tally.record_progress(job["id"], succeeded=2)
        tally.finish_job(job["id"], result={"ok": True})
        t.join(30)
        self.assertFalse(t.is_alive(), "follow_job did not stop at the end of the job")
        types = [e.event for e in seen]
        self.assertEqual(types[0], "snapshot")
        self.assertEqual(seen[0].data["job"]["id"], job["id"])
        self.assertEqual(seen[0].data["job"]["state"], "PENDING")
        self.assertIn("started", types)
        self.assertEqual(types[-1], "finished")
        self.assertEqual(seen[-1].job["result"], {"ok": True})
        self.assertEqual(seen[-1].data["type"], "FINISHED")
        ids = [event_number(e.id) for e in seen]
        self.assertEqual(ids, sorted(ids))
        self.assertEqual(len(set(ids[1:])), len(ids) - 1)

    def test_resume_with_last_event_id_replays_what_was_missed(self):
        tally = client()
        job = tally.create_job(unique("ev"))
        with tally.events(job=job["id"], reconnect=False) as stream:
            snap = next(stream)
            self.assertEqual(snap.event, "snapshot")
            self.assertEqual(stream.last_event_id, snap.id)
            last = stream.last_event_id
        # Missed while disconnected:
        tally.start_job(job["id"])
        tally.cancel_job(job["id"], reason="stop")
        with tally.events(job=job["id"], last_event_id=last, reconnect=False) as resumed:
            got = collect(resumed, lambda e: e.event == "cancelled")
        self.assertEqual([e.event for e in without_created(got)], ["started", "cancelled"])  # no snapshot: a replay
        self.assertEqual(got[-1].job["state"], "CANCELLED")

    def test_an_id_older_than_the_buffer_gets_a_fresh_snapshot(self):
        tally = client()
        job = tally.create_job(unique("ev"))
        with tally.events(job=job["id"], last_event_id="999999999", reconnect=False) as stream:
            self.assertEqual(next(stream).event, "snapshot")

    def test_the_stream_reconnects_on_its_own_with_last_event_id(self):
        tally = client()
        job = tally.create_job(unique("ev"), total=1)
        host, port = SERVER.url[len("http://"):].split(":")
        relay = Relay((host, int(port)))
        try:
            via = TallyClient(relay.url, token=SERVER.token)
            stream = via.events(job=job["id"], retry_delay=0.01, read_timeout=30)
            self.assertTrue(relay.accepted.acquire(timeout=30))
            events = queue.Queue()
            watchdog = threading.Timer(60, stream.close)
            watchdog.daemon = True
            watchdog.start()

            def consume():
                for ev in stream:
                    events.put(ev)
                    if ev.event == "finished":
                        break
                events.put(None)

            threading.Thread(target=consume, daemon=True).start()
            snap = events.get(timeout=30)
            self.assertEqual(snap.event, "snapshot")
            relay.hold()
            relay.cut()
            # The client notices and reconnects; the relay accepts but holds the request while the job moves on.
            self.assertTrue(relay.accepted.acquire(timeout=30), "no reconnect")
            tally.start_job(job["id"])
            tally.record_progress(job["id"], succeeded=1)
            tally.finish_job(job["id"], result=7)
            relay.release()
            everything = list(iter(lambda: events.get(timeout=60), None))
            got = without_created(everything)
            stream.close()
            watchdog.cancel()
        finally:
            relay.close()
        self.assertEqual(stream.connections, 2)
        # The job's 'created' event may reach the stream just after its snapshot, before the cut; then it is the last
        # event the client saw and the id it resumes from.
        resumed_from = re.search(r"\r\nLast-Event-ID: ([^\r]*)\r\n", relay.requests[-1]).group(1)
        seen_before_cut = [snap.id] + [e.id for e in everything if e.event == "created"]
        self.assertIn(resumed_from, seen_before_cut)
        numbers = [event_number(e.id) for e in everything]
        self.assertEqual(numbers, sorted(set(numbers)))  # nothing repeated, in order
        self.assertNotIn("Last-Event-ID", relay.requests[0])
        self.assertEqual(got[0].event, "started")  # replayed, not a new snapshot
        self.assertNotIn("snapshot", [e.event for e in got])
        self.assertEqual(got[-1].job["result"], 7)
        self.assertTrue(all(event_number(e.id) > event_number(snap.id) for e in got))

    def test_a_silent_connection_is_replaced_without_losing_or_repeating_events(self):
        # read_timeout far below the server's 15 s heartbeat: every quiet moment looks like a dead connection.
        tally = client()
        job = tally.create_job(unique("ev"), total=3)
        host, port = SERVER.url[len("http://"):].split(":")
        relay = Relay((host, int(port)))
        try:
            stream = TallyClient(relay.url, token=SERVER.token).events(
                job=job["id"], retry_delay=0, read_timeout=0.2
            )
            events = queue.Queue()

            def consume():
                for ev in stream:
                    events.put(ev)
                    if ev.event == "finished":
                        break
                events.put(None)

            threading.Thread(target=consume, daemon=True).start()
            self.assertEqual(events.get(timeout=30).event, "snapshot")
            for _ in range(3):  # the first connection and two made after silences
                self.assertTrue(relay.accepted.acquire(timeout=30))
            tally.start_job(job["id"])
            for _ in range(3):
                tally.record_success(job["id"])
            tally.finish_job(job["id"])
            watchdog = threading.Timer(60, stream.close)
            watchdog.start()
            got = without_created(list(iter(lambda: events.get(timeout=60), None)))
            watchdog.cancel()
            stream.close()
        finally:
            relay.close()
        self.assertGreaterEqual(stream.connections, 3)
        self.assertTrue(any("Last-Event-ID: " in r for r in relay.requests[1:]))
        self.assertNotIn("snapshot", [e.event for e in got])
        ids = [event_number(e.id) for e in got]
        self.assertEqual(len(ids), len(set(ids)), "an event came twice")
        self.assertEqual(ids, sorted(ids))
        self.assertEqual([e.event for e in got][0], "started")
        self.assertEqual(got[-1].event, "finished")
        self.assertEqual(got[-1].job["succeeded"], 3)

    def test_an_unknown_job_raises_when_the_stream_opens(self):
        with self.assertRaises(TallyNotFoundError):
            client().events(job="no-such-job")

    def test_close_from_another_thread_ends_the_iteration(self):
        tally = client()
        job = tally.create_job(unique("ev"))
        stream = tally.events(job=job["id"])
        self.assertEqual(next(stream).event, "snapshot")
        started = time.monotonic()
        threading.Timer(0.2, stream.close).start()
        self.assertEqual(list(stream), [])
        # It ends at once instead of at the next heartbeat (the server sends one every 15 s).
        self.assertLess(time.monotonic() - started, 10)


class SseParserTest(unittest.TestCase):
    def test_the_spec_rules(self):
        p = SseParser()
        evs = p.feed("retry: 1500\r\n: heartbeat\r\nid: 7\r")
        self.assertEqual(evs, [])
        evs = p.feed("\nevent: progress\ndata: {\"a\":\ndata: 1}\n\nid: 8\n\n")
        self.assertEqual(len(evs), 1)
        self.assertEqual((evs[0].id, evs[0].event, evs[0].data), ("7", "progress", {"a": 1}))
        self.assertEqual(evs[0].raw, '{"a":\n1}')
        self.assertEqual(p.last_event_id, "8")  # an id without data still moves the last id
        self.assertEqual(p.retry_ms, 1500)
        evs = p.feed("data:no space\rdata: x\r\r")
        self.assertEqual([(e.event, e.data) for e in evs], [("message", "no space\nx")])

    def test_any_split_of_the_bytes_gives_the_same_events(self):
        text = "id: 1\r\nevent: a\r\ndata: {\"x\": 1}\r\n\r\n: c\nid: 2\nevent: b\ndata: 2\n\n"
        whole = [(e.id, e.event, e.raw) for e in SseParser().feed(text)]
        self.assertEqual(whole, [("1", "a", '{"x": 1}'), ("2", "b", "2")])
        for cut in range(len(text)):
            p = SseParser()
            parts = p.feed(text[:cut]) + p.feed(text[cut:])
            self.assertEqual([(e.id, e.event, e.raw) for e in parts], whole, cut)


if __name__ == "__main__":
    unittest.main()

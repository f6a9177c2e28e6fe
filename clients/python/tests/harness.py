"""Starts a real ``tally serve`` for the tests, and a TCP relay the tests can cut to break an event stream.

The server runs from ``$TALLY_JAR`` (default: ``tally-cli/target/tally.jar`` of this repository; build it with
``mvn -q install -DskipTests -pl tally-cli -am``) on a free port (``--port 0``; the URL is read from the line the
server prints) with a temporary SQLite store and a write token.
"""

import os
import re
import select
import shutil
import socket
import subprocess
import tempfile
import threading
import time
import urllib.request

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..", ".."))
TOKEN = "test-token-" + os.urandom(6).hex()


class TallyServer:
    def __init__(self, token=TOKEN):
        self.token = token
        self.url = None
        self.proc = None
        self.dir = None
        self.output = []

    def start(self, timeout=90.0):
        jar = os.environ.get("TALLY_JAR") or os.path.join(ROOT, "tally-cli", "target", "tally.jar")
        if not os.path.isfile(jar):
            raise RuntimeError(
                "no %s: build it first (mvn -q install -DskipTests -pl tally-cli -am) or set TALLY_JAR" % jar
            )
        java = os.path.join(os.environ["JAVA_HOME"], "bin", "java") if os.environ.get("JAVA_HOME") else "java"
        self.dir = tempfile.mkdtemp(prefix="tally-py-")
        store = "sqlite:" + os.path.join(self.dir, "tally.db")
        cmd = [java, "-jar", jar, "serve", "--port", "0", "--store", store]
        env = dict(os.environ)
        env["TALLY_TOKEN"] = self.token  # (on the command line it would show in the process list)
        env.pop("TALLY_READ_TOKEN", None)
        self.proc = subprocess.Popen(
            cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, env=env, text=True, bufsize=1
        )
        found = threading.Event()

        def pump():
            for line in self.proc.stdout:
                self.output.append(line)
                # The command's own line ("Tally dashboard and API on http://HOST:PORT/ (store …)"), not a log line.
                address = re.search(r"dashboard and API on (http://[^\s/]+)", line)
                if self.url is None and address:
                    self.url = address.group(1)
                    found.set()
            found.set()

        threading.Thread(target=pump, daemon=True).start()
        # Waits for the line that says where it listens (no fixed sleep), then for /health to answer.
        if not found.wait(timeout) or self.url is None:
            self.stop()
            raise RuntimeError("tally serve did not start:\n" + "".join(self.output))
        deadline = time.monotonic() + timeout
        while True:
            try:
                with urllib.request.urlopen(self.url + "/health", timeout=5) as r:
                    if r.status == 200:
                        return self
            except OSError:
                if time.monotonic() > deadline or self.proc.poll() is not None:
                    self.stop()
                    raise RuntimeError("tally serve does not answer:\n" + "".join(self.output))
            time.sleep(0.05)  # a poll interval, not a wait for time to pass

    def stop(self):
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        if self.dir:
            shutil.rmtree(self.dir, ignore_errors=True)


class Relay:
    """A TCP relay to ``target`` (host, port) on a free local port.

    ``cut()`` closes every open connection (the client sees its stream break). While ``hold()`` is in effect, new
    connections are accepted but not forwarded until ``release()``: a test can make things happen while the client is
    known to be disconnected. ``requests`` holds the first bytes each connection sent (its HTTP request head).
    """

    def __init__(self, target):
        self.target = target
        self.sock = socket.socket()
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(16)
        self.port = self.sock.getsockname()[1]
        self.url = "http://127.0.0.1:%d" % self.port
        self.requests = []
        self.accepted = threading.Semaphore(0)
        self._gate = threading.Event()
        self._gate.set()
        self._open = []
        self._lock = threading.Lock()
        self._closed = False
        threading.Thread(target=self._accept, daemon=True).start()

    def hold(self):
        self._gate.clear()

    def release(self):
        self._gate.set()

    def cut(self):
        with self._lock:
            socks, self._open = self._open, []
        for s in socks:
            try:
                s.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            s.close()

    def close(self):
        self._closed = True
        self._gate.set()
        self.cut()
        self.sock.close()

    def _accept(self):
        while not self._closed:
            try:
                client, _ = self.sock.accept()
            except OSError:
                return
            threading.Thread(target=self._serve, args=(client,), daemon=True).start()

    def _serve(self, client):
        with self._lock:
            self._open.append(client)
        self.accepted.release()
        self._gate.wait()
        if self._closed:
            client.close()
            return
        try:
            upstream = socket.create_connection(self.target)
        except OSError:
            client.close()
            return
        with self._lock:
            self._open.append(upstream)
        first = True
        try:
            while True:
                r, _, _ = select.select([client, upstream], [], [], 60)
                if not r:
                    continue
                for s in r:
                    data = s.recv(65536)
                    if not data:
                        raise OSError("closed")
                    if s is client and first:
                        self.requests.append(data.decode("latin-1"))
                        first = False
                    (upstream if s is client else client).sendall(data)
        except (OSError, ValueError):
            pass
        finally:
            for s in (client, upstream):
                try:
                    s.close()
                except OSError:
                    pass

// Starts a real `tally serve` for the tests, and a TCP relay the tests can cut to break an event stream.
// The server runs from $TALLY_JAR (default: tally-cli/target/tally.jar of this repository) on a free port (--port 0;
// the URL is read from the line the server prints), with a temporary SQLite store and a write token.

import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');

export async function startServer({ timeoutMs = 90000 } = {}) {
  const jar = process.env.TALLY_JAR || join(ROOT, 'tally-cli', 'target', 'tally.jar');
  if (!existsSync(jar)) throw new Error(`no ${jar}: build it first (mvn -q install -DskipTests -pl tally-cli -am) or set TALLY_JAR`);
  const java = process.env.JAVA_HOME ? join(process.env.JAVA_HOME, 'bin', 'java') : 'java';
  const dir = mkdtempSync(join(tmpdir(), 'tally-js-'));
  const token = `test-token-${randomBytes(6).toString('hex')}`;
  // The token through the environment: on the command line it would show in the process list.
  const env = { ...process.env, TALLY_TOKEN: token };
  delete env.TALLY_READ_TOKEN;
  const proc = spawn(java, ['-jar', jar, 'serve', '--port', '0', '--store', `sqlite:${join(dir, 'tally.db')}`], {
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  const stop = async () => {
    if (proc.exitCode === null && proc.signalCode === null) {
      const exited = new Promise((r) => proc.once('exit', r));
      proc.kill('SIGTERM');
      const timer = setTimeout(() => proc.kill('SIGKILL'), 30000);
      await exited;
      clearTimeout(timer);
    }
    rmSync(dir, { recursive: true, force: true });
  };
  // Waits for the line that says where it listens (no fixed sleep), then for /health to answer.
  const url = await new Promise((resolveUrl, reject) => {
    const timer = setTimeout(() => reject(new Error(`tally serve did not start:\n${output}`)), timeoutMs);
    const onData = (chunk) => {
      output += chunk;
      const m = /dashboard and API on (http:\/\/[^/\s]+)\//.exec(output);
      if (m) {
        clearTimeout(timer);
        resolveUrl(m[1]);
      }
    };
    proc.stdout.setEncoding('utf8').on('data', onData);
    proc.stderr.setEncoding('utf8').on('data', (c) => (output += c));
    proc.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`tally serve exited with ${code}:\n${output}`));
    });
  }).catch(async (e) => {
    await stop();
    throw e;
  });
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      const res = await fetch(`${url}/health`);
      await res.arrayBuffer();
      if (res.ok) break;
    } catch {
      if (Date.now() > deadline) {
        await stop();
        throw new Error(`tally serve does not answer:\n${output}`);
      }
    }
    await new Promise((r) => setTimeout(r, 50)); // a poll interval, not a wait for time to pass
  }
  return { url, token, stop, output: () => output };
}

/**
 * A TCP relay to `target` on a free port. `cut()` destroys every open connection; while `hold()` is in effect, new
 * connections are accepted but not forwarded until `release()`. `requests` holds the first bytes each connection sent
 * (its HTTP request head); `waitForConnections(n)` resolves once n connections were accepted, `waitForRequests(n)` once
 * n requests were forwarded.
 */
export async function startRelay(targetUrl) {
  const target = new URL(targetUrl);
  const open = new Set();
  const requests = [];
  let held = false;
  let waiting = [];
  let accepted = 0;
  let watchers = [];
  let requestWatchers = [];
  const server = net.createServer((client) => {
    accepted++;
    watchers = watchers.filter((w) => (accepted >= w.n ? (w.resolve(), false) : true));
    open.add(client);
    client.on('close', () => open.delete(client));
    client.on('error', () => {});
    let first = true;
    client.on('data', (d) => {
      if (first) {
        requests.push(d.toString('latin1'));
        first = false;
        requestWatchers = requestWatchers.filter((w) => (requests.length >= w.n ? (w.resolve(), false) : true));
      }
    });
    client.pause();
    const forward = () => {
      if (client.destroyed) return;
      const upstream = net.connect(Number(target.port), target.hostname);
      open.add(upstream);
      upstream.on('close', () => {
        open.delete(upstream);
        client.destroy();
      });
      upstream.on('error', () => client.destroy());
      client.on('close', () => upstream.destroy());
      client.pipe(upstream);
      upstream.pipe(client);
      client.resume();
    };
    if (held) waiting.push(forward);
    else forward();
  });
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  return {
    url: `http://127.0.0.1:${server.address().port}`,
    requests,
    hold() {
      held = true;
    },
    release() {
      held = false;
      const w = waiting;
      waiting = [];
      w.forEach((f) => f());
    },
    cut() {
      for (const s of open) s.destroy();
    },
    /** Resolves once n requests went through (fetch may open a TCP connection it never sends on: count requests). */
    waitForRequests(n) {
      return requests.length >= n ? Promise.resolve() : new Promise((resolve) => requestWatchers.push({ n, resolve }));
    },
    waitForConnections(n) {
      return accepted >= n ? Promise.resolve() : new Promise((resolve) => watchers.push({ n, resolve }));
    },
    async close() {
      this.cut();
      await new Promise((r) => server.close(r));
    },
  };
}

// The HTTP client of Tally's server (`tally serve`): ESM, no dependencies, Node 20+ and browsers (fetch).

import { TallyConnectionError, errorFor } from './errors.js';
import { EventStream } from './sse.js';

/** States a job never leaves. */
export const TERMINAL_STATES = Object.freeze(['SUCCEEDED', 'FAILED', 'CANCELLED', 'SKIPPED']);
const STATES = ['PENDING', 'RUNNING', ...TERMINAL_STATES];
const TERMINAL_EVENTS = ['finished', 'failed', 'cancelled', 'skipped', 'deleted'];
// The server's rule for job ids (caller-given ones and UUIDv7s both match it).
const ID = /^[A-Za-z0-9._:-]{1,128}$/;

function jobId(value, what = 'jobId') {
  if (typeof value !== 'string' || value === '') {
    throw new TypeError(`${what}: must be a non-empty string, was ${JSON.stringify(value)}`);
  }
  if (!ID.test(value)) throw new RangeError(`${what}: must match [A-Za-z0-9._:-]{1,128}, was ${JSON.stringify(value.slice(0, 60))}`);
  return value;
}

function count(value, what) {
  if (!Number.isSafeInteger(value)) throw new TypeError(`${what}: must be an integer, was ${String(value)}`);
  if (value < 0) throw new RangeError(`${what}: must not be negative, was ${value}`);
  return value;
}

function text(value, what, required = false) {
  if (value === undefined || value === null) {
    if (required) throw new TypeError(`${what}: is required`);
    return undefined;
  }
  if (typeof value !== 'string') throw new TypeError(`${what}: must be a string, was ${typeof value}`);
  if (required && value.trim() === '') throw new RangeError(`${what}: must not be blank`);
  return value;
}

function duration(value, what) {
  if (value === undefined || value === null) return undefined;
  if (typeof value === 'number') {
    if (!(value > 0) || !Number.isFinite(value)) throw new RangeError(`${what}: must be a positive number of seconds, was ${value}`);
    return value;
  }
  if (typeof value === 'string' && value.trim() !== '') return value;
  throw new TypeError(`${what}: must be seconds or an ISO-8601 duration ("PT30S")`);
}

function isPlainObject(v) {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

function json(body) {
  return JSON.stringify(body, (k, v) => {
    if (typeof v === 'number' && !Number.isFinite(v)) throw new RangeError(`the request body is not JSON: ${k} is ${v}`);
    if (typeof v === 'bigint') throw new TypeError(`the request body is not JSON: ${k} is a BigInt`);
    return v;
  });
}

async function parseBody(res) {
  const raw = await res.text();
  if (!raw) return null;
  try {
    return JSON.parse(raw);
  } catch {
    return raw;
  }
}

/**
 * A client of one Tally server. Jobs come back as the server's JSON objects with its field names (`id`, `state`,
 * `total`, `succeeded`, `failed`, `pending`, `percent`, `result`, `error`, ...). A non-2xx answer rejects with a
 * TallyError subclass; bad arguments throw TypeError/RangeError before anything is sent.
 */
export class TallyClient {
  #base;
  #token;
  #timeoutMs;
  #fetch;

  /**
   * @param {object} [options]
   * @param {string} [options.baseUrl] the server, e.g. `http://127.0.0.1:8080` (a path prefix is kept); in a browser
   *   page served by Tally, `location.origin`
   * @param {string} [options.token] sent as `Authorization: Bearer <token>` on every request
   * @param {number} [options.timeoutMs=30000] per request (not for event streams)
   * @param {typeof fetch} [options.fetch] a fetch implementation (default: the global one)
   */
  constructor({ baseUrl = 'http://127.0.0.1:8080', token, timeoutMs = 30000, fetch: fetchImpl } = {}) {
    text(baseUrl, 'baseUrl', true);
    let u;
    try {
      u = new URL(baseUrl);
    } catch {
      throw new TypeError(`baseUrl: not a URL: ${baseUrl}`);
    }
    if (u.protocol !== 'http:' && u.protocol !== 'https:') throw new TypeError(`baseUrl: must be http:// or https://, was ${baseUrl}`);
    if (token !== undefined && token !== null) {
      text(token, 'token', true);
      if (/[\r\n\0]/.test(token)) throw new TypeError('token: must not contain line breaks');
    }
    if (!(typeof timeoutMs === 'number' && timeoutMs > 0)) throw new RangeError(`timeoutMs: must be a positive number, was ${timeoutMs}`);
    this.#base = baseUrl.replace(/\/+$/, '');
    this.#token = token ?? undefined;
    this.#timeoutMs = timeoutMs;
    this.#fetch = fetchImpl ?? globalThis.fetch.bind(globalThis);
  }

  get baseUrl() {
    return this.#base;
  }

  // ---- jobs ----

  /**
   * Creates a job (`POST /api/jobs`). `parts` (JSON objects) are numbered 0..n-1 and make the total; `start: true`
   * creates it RUNNING; durations (`timeout`, `heartbeat`, `retainFor`) are seconds or ISO-8601 strings.
   */
  async createJob(spec) {
    if (!isPlainObject(spec)) throw new TypeError('createJob: give an object {name, ...}');
    const known = ['id', 'name', 'scope', 'parent', 'total', 'metadata', 'start', 'parts', 'timeout', 'heartbeat', 'retainFor', 'message', 'toleratedFailures'];
    for (const k of Object.keys(spec)) if (!known.includes(k)) throw new TypeError(`createJob: unknown field '${k}'`);
    const body = { name: text(spec.name, 'name', true) };
    if (spec.id != null) body.id = jobId(spec.id, 'id');
    if (spec.scope != null) body.scope = text(spec.scope, 'scope', true);
    if (spec.parent != null) body.parent = jobId(spec.parent, 'parent');
    if (spec.total != null) body.total = count(spec.total, 'total');
    if (spec.metadata != null) {
      if (!isPlainObject(spec.metadata)) throw new TypeError('metadata: must be a plain object');
      body.metadata = spec.metadata;
    }
    if (spec.start != null) {
      if (typeof spec.start !== 'boolean') throw new TypeError('start: must be true or false');
      if (spec.start) body.start = true;
    }
    if (spec.parts != null) {
      if (!Array.isArray(spec.parts)) throw new TypeError('parts: must be an array of objects');
      spec.parts.forEach((p, i) => {
        if (!isPlainObject(p)) throw new TypeError(`parts: part ${i} must be an object`);
      });
      body.parts = spec.parts;
    }
    for (const k of ['timeout', 'heartbeat', 'retainFor']) {
      const d = duration(spec[k], k);
      if (d !== undefined) body[k] = d;
    }
    if (spec.message != null) body.message = text(spec.message, 'message');
    if (spec.toleratedFailures != null) body.toleratedFailures = count(spec.toleratedFailures, 'toleratedFailures');
    return this.#request('POST', '/api/jobs', { body, expect: 201 });
  }

  /** The job, with `rollup` (its progress plus its descendants'). Rejects with TallyNotFoundError. */
  async getJob(id) {
    return this.#request('GET', this.#jobPath(id));
  }

  /** One page of jobs, newest first: `{jobs: [...], next: cursor | null}`. */
  async listJobs({ state, scope, name, parent, limit, cursor } = {}) {
    const q = {};
    if (state != null) {
      const st = text(state, 'state', true).toUpperCase();
      if (!STATES.includes(st)) throw new RangeError(`state: must be one of ${STATES.join(', ')}, was ${state}`);
      q.state = st;
    }
    if (scope != null) q.scope = text(scope, 'scope', true);
    if (name != null) q.name = text(name, 'name', true);
    if (parent != null) q.parent = jobId(parent, 'parent');
    if (cursor != null) q.cursor = text(cursor, 'cursor', true);
    if (limit != null) {
      if (count(limit, 'limit') < 1) throw new RangeError('limit: must be at least 1');
      q.limit = limit;
    }
    return this.#request('GET', '/api/jobs', { query: q });
  }

  /** Every job matching the filters of listJobs, following the cursors: `for await (const job of ...)`. */
  async *iterJobs(filters = {}) {
    let cursor = filters.cursor;
    for (;;) {
      const page = await this.listJobs({ ...filters, cursor });
      yield* page.jobs;
      if (!page.next) return;
      cursor = page.next;
    }
  }

  /** Deletes the job with its items, parts and logs. */
  async deleteJob(id) {
    await this.#request('DELETE', this.#jobPath(id), { expect: 204 });
  }

  // ---- progress ----

  /**
   * Adds increments (never absolute values) and keyed items in one step; resolves to the job after it. `items` are
   * `{key, outcome: 'SUCCESS' | 'FAILURE', reason}`: idempotent by key, moved when recorded with the other outcome.
   * Rejects with TallyConflictError (code `finished`) when the job already ended.
   */
  async recordProgress(id, update = {}) {
    return this.#request('POST', `${this.#jobPath(id)}/progress`, { body: progressBody(update) });
  }

  /**
   * Progress for many jobs in one request (`POST /api/progress`): `updates` are `{id, succeeded, failed, items,
   * addTotal, message}`, at most 1000. Every update is checked before anything is sent (here and by the server: a bad
   * one rejects the call and writes nothing). Resolves to one result per update, in order: `{id, progress}`, or
   * `{id, status, error: {code, message}, state}` for an update its job refused (missing: 404, finished: 409).
   */
  async recordProgressMany(updates) {
    if (!Array.isArray(updates) || updates.length === 0) throw new TypeError('updates: must be a non-empty array');
    if (updates.length > 1000) throw new RangeError(`updates: at most 1000 per call, was ${updates.length}`);
    const body = {
      updates: updates.map((u, i) => {
        if (!isPlainObject(u)) throw new TypeError(`updates[${i}]: must be an object {id, succeeded, …}`);
        const { id, ...update } = u;
        return { id: jobId(id, `updates[${i}].id`), ...progressBody(update) };
      }),
    };
    return (await this.#request('POST', '/api/progress', { body })).results;
  }

  /** One success: of item `key` (idempotent), or `count` anonymous units. */
  async recordSuccess(id, key, n = 1) {
    return key != null ? this.recordProgress(id, { items: [{ key, outcome: 'SUCCESS' }] }) : this.recordProgress(id, { succeeded: n });
  }

  /** One failure: of item `key` (with `reason`), or `count` anonymous units. */
  async recordFailure(id, key, reason, n = 1) {
    return key != null
      ? this.recordProgress(id, { items: [{ key, outcome: 'FAILURE', reason }] })
      : this.recordProgress(id, { failed: n });
  }

  /** One page of keyed items: `{items: [{key, outcome, reason}], next}`. */
  async items(id, { outcome, after, limit } = {}) {
    const q = {};
    if (outcome != null) {
      const oc = text(outcome, 'outcome', true).toUpperCase();
      if (oc !== 'SUCCESS' && oc !== 'FAILURE') throw new RangeError(`outcome: must be SUCCESS or FAILURE, was ${outcome}`);
      q.outcome = oc;
    }
    if (after != null) q.after = text(after, 'after', true);
    if (limit != null) q.limit = count(limit, 'limit');
    return this.#request('GET', `${this.#jobPath(id)}/items`, { query: q });
  }

  /** One page of log records: `{logs: [{seq, at, level, logger, message}], next}`. */
  async logs(id, { after, limit } = {}) {
    const q = {};
    if (after != null) q.after = count(after, 'after');
    if (limit != null) q.limit = count(limit, 'limit');
    return this.#request('GET', `${this.#jobPath(id)}/logs`, { query: q });
  }

  /** A throttled reporter for a loop of many units (RedisProgress's `tick!`); see Reporter. */
  reporter(id, options) {
    return new Reporter(this, id, options);
  }

  // ---- lifecycle ----

  /** PENDING → RUNNING. */
  async startJob(id) {
    return this.#request('POST', `${this.#jobPath(id)}/start`);
  }

  /** Ends the job SUCCEEDED with `result` (any JSON value). Again: a no-op; on a failed/cancelled job: TallyConflictError. */
  async finishJob(id, result) {
    return this.#request('POST', `${this.#jobPath(id)}/finish`, { body: result === undefined || result === null ? undefined : { result } });
  }

  /** Ends the job FAILED with the message `error`. */
  async failJob(id, error) {
    return this.#request('POST', `${this.#jobPath(id)}/fail`, { body: error == null ? undefined : { error: text(error, 'error') } });
  }

  /** Ends the job CANCELLED. */
  async cancelJob(id, reason) {
    return this.#request('POST', `${this.#jobPath(id)}/cancel`, { body: reason == null ? undefined : { reason: text(reason, 'reason') } });
  }

  /** Renews the job's lease (jobs created with `heartbeat`). */
  async heartbeat(id) {
    return this.#request('POST', `${this.#jobPath(id)}/heartbeat`);
  }

  // ---- parts (map-reduce) ----

  /**
   * Marks a part succeeded: `{changed, remaining, last}`. Exactly one call per job gets `last: true`: run the reduce on
   * it. A redelivered part answers `changed: false, last: false`.
   */
  async completePart(id, part) {
    const path = `${this.#jobPath(id)}/parts/${count(part, 'part')}/complete`;
    return completion(await this.#request('POST', path));
  }

  /**
   * Marks several parts succeeded in one atomic step (`POST /api/jobs/{id}/parts/complete`): `{changed, remaining,
   * last}` for them all; `last: true` when these completed the job's last pending part, exactly once per job.
   */
  async completeParts(id, parts) {
    if (!Array.isArray(parts) || parts.length === 0) throw new TypeError('parts: must be a non-empty array of part numbers');
    const body = { parts: parts.map((p, i) => count(p, `parts[${i}]`)) };
    return completion(await this.#request('POST', `${this.#jobPath(id)}/parts/complete`, { body }));
  }

  /** Marks a part failed; with `failJob: true` the whole job fails (watchbot's `fail_job_on`). */
  async failPart(id, part, { reason, failJob = false } = {}) {
    const path = `${this.#jobPath(id)}/parts/${count(part, 'part')}/fail`;
    if (typeof failJob !== 'boolean') throw new TypeError('failJob: must be true or false');
    const body = {};
    if (reason != null) body.reason = text(reason, 'reason');
    if (failJob) body.failJob = true;
    return completion(await this.#request('POST', path, { body: Object.keys(body).length ? body : undefined }));
  }

  /** One page of part numbers in `state` (pending, succeeded, failed): `{state, parts, next}`. */
  async parts(id, { state = 'pending', after, limit } = {}) {
    const st = text(state, 'state', true).toLowerCase();
    if (!['pending', 'succeeded', 'failed'].includes(st)) throw new RangeError(`state: must be pending, succeeded or failed, was ${state}`);
    const q = { state: st };
    if (after != null) q.after = count(after, 'after');
    if (limit != null) q.limit = count(limit, 'limit');
    return this.#request('GET', `${this.#jobPath(id)}/parts`, { query: q });
  }

  /** Every pending part number (watchbot's `pending`), following the pages. */
  async pendingParts(id) {
    const out = [];
    let after;
    for (;;) {
      const page = await this.parts(id, { state: 'pending', after });
      out.push(...page.parts);
      if (page.next === null || page.next === undefined) return out;
      after = page.next;
    }
  }

  // ---- operations ----

  /** `{states: {PENDING: n, ...}, total}`. */
  async stats() {
    return this.#request('GET', '/api/stats');
  }

  /** Runs the sweeper now: `{stalled, timedOut, deleted}`. */
  async sweep() {
    return this.#request('POST', '/api/sweep');
  }

  // ---- events ----

  /**
   * Follows `GET /api/events` (one job's, a scope's, a parent's children's, or all events) and resolves once the
   * first connection is open, so a bad filter or unknown job rejects here. Without `lastEventId` the stream opens with
   * a `snapshot` event; with it, the server replays the events after that id. See EventStream.
   */
  async events({ job, scope, parent, lastEventId, reconnect = true, retryMs, maxReconnects, readTimeoutMs = 60000 } = {}) {
    const given = [['job', job], ['scope', scope], ['parent', parent]].filter(([, v]) => v != null);
    if (given.length > 1) throw new TypeError(`give at most one of job, scope and parent, got ${given.map(([k]) => k).join(', ')}`);
    const q = {};
    if (job != null) q.job = jobId(job, 'job');
    if (scope != null) q.scope = text(scope, 'scope', true);
    if (parent != null) q.parent = jobId(parent, 'parent');
    if (lastEventId != null) {
      lastEventId = String(lastEventId);
      if (/[\r\n\0]/.test(lastEventId)) throw new TypeError('lastEventId: must not contain line breaks');
    }
    const url = this.#url('/api/events', q);
    const connect = async (lastId, controller) => {
      const headers = this.#headers();
      headers.Accept = 'text/event-stream';
      headers['Cache-Control'] = 'no-cache';
      if (lastId) headers['Last-Event-ID'] = lastId;
      let res;
      try {
        res = await this.#fetch(url, { method: 'GET', headers, signal: controller.signal, cache: 'no-store' });
      } catch (e) {
        throw new TallyConnectionError(`GET ${url}: ${e?.cause?.message ?? e?.message ?? e}`, e);
      }
      if (res.status !== 200) {
        const body = await parseBody(res).catch(() => null);
        throw errorFor(res.status, body);
      }
      if (!res.body) throw new TallyConnectionError(`GET ${url}: no response body to stream`);
      return res.body.getReader();
    };
    const stream = new EventStream(connect, { lastEventId: lastEventId ?? null, reconnect, retryMs, maxReconnects, readTimeoutMs });
    await stream.open();
    return stream;
  }

  /**
   * The events of one job until it ends: yields each event and stops after the first one that shows the job in a
   * terminal state (or deleted). Options as for events().
   */
  async *followJob(id, options = {}) {
    const stream = await this.events({ ...options, job: jobId(id) });
    try {
      for await (const ev of stream) {
        yield ev;
        if (TERMINAL_EVENTS.includes(ev.event) || TERMINAL_STATES.includes(ev.job?.state)) return;
      }
    } finally {
      stream.close();
    }
  }

  // ---- plumbing ----

  #jobPath(id) {
    return `/api/jobs/${encodeURIComponent(jobId(id))}`;
  }

  #url(path, query) {
    const qs = query && Object.keys(query).length ? `?${new URLSearchParams(Object.entries(query).map(([k, v]) => [k, String(v)]))}` : '';
    return `${this.#base}${path}${qs}`;
  }

  #headers() {
    const h = { Accept: 'application/json' };
    if (this.#token) h.Authorization = `Bearer ${this.#token}`;
    return h;
  }

  async #request(method, path, { body, query, expect = 200 } = {}) {
    const url = this.#url(path, query);
    const headers = this.#headers();
    let payload;
    if (body !== undefined) {
      payload = json(body);
      headers['Content-Type'] = 'application/json';
    }
    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(), this.#timeoutMs);
    let res;
    let parsed;
    try {
      res = await this.#fetch(url, { method, headers, body: payload, signal: controller.signal, cache: 'no-store' });
      parsed = await parseBody(res);
    } catch (e) {
      const why = controller.signal.aborted ? `no answer in ${this.#timeoutMs} ms` : (e?.cause?.message ?? e?.message ?? String(e));
      throw new TallyConnectionError(`${method} ${url}: ${why}`, e);
    } finally {
      clearTimeout(timer);
    }
    if (res.status < 200 || res.status >= 300) throw errorFor(res.status, parsed);
    return parsed;
  }
}

/** The body of a progress update (`{succeeded, failed, items, addTotal, message}`), checked field by field. */
function progressBody({ succeeded = 0, failed = 0, items, addTotal = 0, message, ...unknown } = {}) {
  for (const k of Object.keys(unknown)) throw new TypeError(`unknown field '${k}'`);
  const body = {};
  if (count(succeeded, 'succeeded')) body.succeeded = succeeded;
  if (count(failed, 'failed')) body.failed = failed;
  if (count(addTotal, 'addTotal')) body.addTotal = addTotal;
  if (message != null) body.message = text(message, 'message');
  if (items != null) {
    if (!Array.isArray(items)) throw new TypeError('items: must be an array');
    if (items.length > 10000) throw new RangeError(`items: at most 10000 per call, was ${items.length}`);
    const out = items.map((it, i) => {
      if (!isPlainObject(it)) throw new TypeError(`items[${i}]: must be an object {key, outcome, reason}`);
      for (const k of Object.keys(it)) if (!['key', 'outcome', 'reason'].includes(k)) throw new TypeError(`items[${i}]: unknown field '${k}'`);
      const outcome = (text(it.outcome, `items[${i}].outcome`) ?? 'SUCCESS').toUpperCase();
      if (outcome !== 'SUCCESS' && outcome !== 'FAILURE') throw new RangeError(`items[${i}].outcome: must be SUCCESS or FAILURE, was ${it.outcome}`);
      const item = { key: text(it.key, `items[${i}].key`, true), outcome };
      if (it.reason != null) item.reason = text(it.reason, `items[${i}].reason`);
      return item;
    });
    if (out.length) body.items = out;
  }
  return body;
}

function completion(body) {
  return { changed: Boolean(body.changed), remaining: Number(body.remaining), last: Boolean(body.last) };
}

/**
 * Throttled progress for a loop of many units, without losing a count (RedisProgress's `tick!`, done right).
 * `tick()` only adds to counters held here and starts a write (the increments, in one `progress` request) when
 * `everyMs` passed since the last write by `now()`; `flush()` and `close()` write what is left. Several reporters on
 * one job add up, because only increments are sent. A failed write keeps its counts for the next one and rejects.
 */
export class Reporter {
  #client;
  #everyMs;
  #now;
  #succeeded = 0;
  #failed = 0;
  #last;
  #inflight = Promise.resolve();

  constructor(client, id, { everyMs = 2000, now = () => Date.now() } = {}) {
    if (!(typeof everyMs === 'number' && everyMs >= 0)) throw new RangeError(`everyMs: must be a non-negative number, was ${everyMs}`);
    this.#client = client;
    this.jobId = jobId(id);
    this.#everyMs = everyMs;
    this.#now = now;
    this.#last = now();
    /** How many writes were sent. */
    this.writes = 0;
  }

  /**
   * Adds units: `tick()` one success, `tick(5)` five, `tick(0, 1)` one failure. Resolves to the job when this tick
   * wrote, else to null.
   */
  async tick(succeeded, failed = 0) {
    if (succeeded === undefined) succeeded = failed ? 0 : 1;
    count(succeeded, 'succeeded');
    count(failed, 'failed');
    this.#succeeded += succeeded;
    this.#failed += failed;
    if (this.#now() - this.#last < this.#everyMs) return null;
    return this.flush();
  }

  /** Writes the buffered units now (none: resolves to null). */
  async flush() {
    const ok = this.#succeeded;
    const bad = this.#failed;
    this.#succeeded = 0;
    this.#failed = 0;
    this.#last = this.#now();
    if (!ok && !bad) return null;
    try {
      const job = await this.#client.recordProgress(this.jobId, { succeeded: ok, failed: bad });
      this.writes++;
      return job;
    } catch (e) {
      this.#succeeded += ok;
      this.#failed += bad;
      throw e;
    }
  }

  /** Writes what is left. */
  async close() {
    await this.flush();
  }

  /** Writes what is left, then finishes the job with `result`. */
  async finish(result) {
    await this.flush();
    return this.#client.finishJob(this.jobId, result);
  }
}

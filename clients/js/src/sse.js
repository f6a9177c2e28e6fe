// Server-sent events without EventSource: a parser of the text/event-stream format, and a stream over fetch and a
// ReadableStream reader that reconnects with Last-Event-ID. Runs in Node 20+ and in browsers.

import { TallyConnectionError, TallyError } from './errors.js';

/** One server-sent event: `id`, `event` (type), `data` (parsed JSON, or the text), `raw` (the data text). */
export class TallyEvent {
  constructor(id, event, raw) {
    this.id = id;
    this.event = event;
    this.raw = raw;
    try {
      this.data = JSON.parse(raw);
    } catch {
      this.data = raw;
    }
  }

  /** The job snapshot the event carries (`data.job`), or null. */
  get job() {
    return this.data && typeof this.data === 'object' ? (this.data.job ?? null) : null;
  }
}

/**
 * Turns text, fed in pieces of any size, into events, by the HTML specification's rules: lines end with CRLF, LF or
 * CR; `data` lines join with LF; a blank line dispatches; `id` sets the last event id (even without data) unless it
 * contains NUL; `retry` sets the reconnection delay; lines starting with `:` are comments (heartbeats).
 */
export class SseParser {
  constructor() {
    this.lastEventId = null;
    this.retryMs = null;
    this.buf = '';
    this.skipLf = false;
    this.data = [];
    this.type = '';
    this.hasData = false;
  }

  /** @returns {TallyEvent[]} the events `text` completed */
  feed(text) {
    const out = [];
    if (this.skipLf && text.startsWith('\n')) text = text.slice(1);
    this.skipLf = false;
    const buf = this.buf + text;
    let start = 0;
    for (let i = 0; i < buf.length; i++) {
      const c = buf[i];
      if (c === '\r' || c === '\n') {
        const line = buf.slice(start, i);
        if (c === '\r') {
          if (i + 1 < buf.length) {
            if (buf[i + 1] === '\n') i++;
          } else {
            this.skipLf = true;
          }
        }
        this.line(line, out);
        start = i + 1;
      }
    }
    this.buf = buf.slice(start);
    return out;
  }

  line(line, out) {
    if (line === '') {
      if (this.hasData) out.push(new TallyEvent(this.lastEventId, this.type || 'message', this.data.join('\n')));
      this.data = [];
      this.type = '';
      this.hasData = false;
      return;
    }
    if (line.startsWith(':')) return;
    const colon = line.indexOf(':');
    const field = colon < 0 ? line : line.slice(0, colon);
    let value = colon < 0 ? '' : line.slice(colon + 1);
    if (value.startsWith(' ')) value = value.slice(1);
    if (field === 'data') {
      this.data.push(value);
      this.hasData = true;
    } else if (field === 'event') {
      this.type = value;
    } else if (field === 'id') {
      if (!value.includes('\0')) this.lastEventId = value;
    } else if (field === 'retry') {
      if (/^\d+$/.test(value)) this.retryMs = Number(value);
    }
  }
}

/**
 * An async iterable of TallyEvent following `GET /api/events`, reconnecting on its own.
 *
 * When the connection ends or breaks (or nothing arrives for `readTimeoutMs`; the server sends a heartbeat comment
 * every 15 s), it waits the server's `retry` delay (or `retryMs`) and reconnects with `Last-Event-ID` set to the id of
 * the last event it saw, so the server replays what was missed (or sends a fresh `snapshot` when the id is older than
 * its buffer). An error answer (4xx) ends the iteration by throwing the TallyError; 5xx answers and network errors are
 * retried, `maxReconnects` times in a row at most (default: forever). `close()` (or `break` out of `for await`) stops.
 */
export class EventStream {
  #connect;
  #reconnect;
  #retryMs;
  #maxReconnects;
  #readTimeoutMs;
  #controller = null;
  #pending = null;
  #closed = false;
  #wake = null;

  /**
   * @param {(lastEventId: string|null, controller: AbortController) => Promise<ReadableStreamDefaultReader>} connect
   */
  constructor(connect, { lastEventId = null, reconnect = true, retryMs, maxReconnects, readTimeoutMs = 60000 } = {}) {
    this.#connect = connect;
    /** The id of the last event received; sent as Last-Event-ID on the next connection. */
    this.lastEventId = lastEventId;
    this.#reconnect = reconnect;
    this.#retryMs = retryMs;
    this.#maxReconnects = maxReconnects;
    this.#readTimeoutMs = readTimeoutMs;
    /** How many connections were opened so far. */
    this.connections = 0;
  }

  get closed() {
    return this.#closed;
  }

  /** Opens the first connection now, so an error answer or an unreachable server rejects here. */
  async open() {
    if (!this.#pending && this.connections === 0) this.#pending = await this.#open();
    return this;
  }

  /** Stops the stream: aborts the connection; the iteration ends. */
  close() {
    this.#closed = true;
    this.#controller?.abort();
    this.#wake?.();
  }

  async #open() {
    const controller = new AbortController();
    this.#controller = controller;
    const reader = await this.#connect(this.lastEventId, controller);
    return { controller, reader };
  }

  async *[Symbol.asyncIterator]() {
    let failures = 0;
    let serverRetry = null;
    try {
      while (!this.#closed) {
        let conn;
        try {
          conn = this.#pending ?? (await this.#open());
          this.#pending = null;
        } catch (e) {
          if (this.#closed) return;
          const retryable = e instanceof TallyConnectionError || (e instanceof TallyError && e.status >= 500);
          if (!retryable || !this.#reconnect) throw e;
          failures++;
          if (this.#maxReconnects !== undefined && failures > this.#maxReconnects) throw e;
          await this.#wait(serverRetry);
          continue;
        }
        this.connections++;
        failures = 0;
        const parser = new SseParser();
        parser.lastEventId = this.lastEventId;
        const decoder = new TextDecoder('utf-8');
        const { controller, reader } = conn;
        try {
          for (;;) {
            const { value, done } = await this.#read(reader, controller);
            if (done) break;
            const events = parser.feed(decoder.decode(value, { stream: true }));
            for (const ev of events) {
              this.lastEventId = parser.lastEventId;
              yield ev;
              if (this.#closed) return;
            }
            this.lastEventId = parser.lastEventId; // an id on an event without data still counts
          }
        } catch {
          // Aborted (close or read timeout) or the connection broke: reconnect or stop.
        } finally {
          controller.abort();
          reader.releaseLock?.();
        }
        if (parser.retryMs !== null) serverRetry = parser.retryMs;
        if (!this.#reconnect || this.#closed) return;
        await this.#wait(serverRetry);
      }
    } finally {
      this.close();
    }
  }

  #read(reader, controller) {
    if (!this.#readTimeoutMs) return reader.read();
    const timer = setTimeout(() => controller.abort(), this.#readTimeoutMs);
    return reader.read().finally(() => clearTimeout(timer));
  }

  #wait(serverRetry) {
    const ms = this.#retryMs ?? serverRetry ?? 2000;
    return new Promise((resolve) => {
      const timer = setTimeout(done, ms);
      function done() {
        clearTimeout(timer);
        resolve();
      }
      this.#wake = done;
    }).finally(() => {
      this.#wake = null;
    });
  }
}

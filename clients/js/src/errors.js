// The errors the client throws. A non-2xx answer of the server becomes a TallyError (or a subclass) carrying the HTTP
// status and the server's JSON error fields ({"error": {"code", "message"}}). Bad input caught by the client before
// anything is sent is a TypeError or RangeError.

// The server's 409 body carries "state" (and "target" for a refused state change); a server before those fields is
// read from the message it writes ("job X is already FAILED", "job X cannot go from SUCCEEDED to CANCELLED").
const ALREADY = /\bis already ([A-Z]+)\b/;
const TRANSITION = /\bcannot go from ([A-Z]+) to ([A-Z]+)\b/;

/** An error answer of the server: `status`, `code` (the server's error code, or null), `message`, `body`. */
export class TallyError extends Error {
  constructor(status, code, message, body) {
    super(status ? `HTTP ${status} ${code ?? 'error'}: ${message}` : message);
    this.name = new.target.name;
    /** The HTTP status (0 when no answer arrived: TallyConnectionError). */
    this.status = status;
    /** invalid, unauthorized, not_found, conflict, finished, too_large, unavailable, internal; or null. */
    this.code = code;
    /** The server's message. */
    this.serverMessage = message;
    /** The parsed JSON body (or its text when it was not JSON). */
    this.body = body;
  }
}

/** 400 `invalid` or 413 `too_large`: the server refused the input; nothing was written. */
export class TallyInvalidError extends TallyError {}

/** 401 `unauthorized`: a token is required, or the one given is wrong. */
export class TallyAuthError extends TallyError {}

/** 404 `not_found`: no such job (or endpoint). */
export class TallyNotFoundError extends TallyError {}

/**
 * 409: the job's state refused the operation; nothing was written. `code` is `finished` (progress, a part or a
 * heartbeat on a job that already ended) or `conflict` (a transition the state table forbids, or a taken id).
 * `state` is the job's state when it refused (null when the server did not say: a taken id); `target` the state that
 * was asked for, for a refused transition.
 */
export class TallyConflictError extends TallyError {
  constructor(status, code, message, body) {
    super(status, code, message, body);
    this.state = null;
    this.target = null;
    if (body && typeof body === 'object' && typeof body.state === 'string') {
      this.state = body.state;
      this.target = typeof body.target === 'string' ? body.target : null;
      return;
    }
    const t = TRANSITION.exec(message ?? '');
    if (t) {
      this.state = t[1];
      this.target = t[2];
    } else {
      const a = ALREADY.exec(message ?? '');
      if (a) this.state = a[1];
    }
  }

  /** True when the job had already ended (`code === 'finished'`). */
  get finished() {
    return this.code === 'finished';
  }
}

/** 503 `unavailable`: the store is down, or too many event streams are open. */
export class TallyUnavailableError extends TallyError {}

/** No answer: the server could not be reached, the connection broke or the request timed out (`status` 0). */
export class TallyConnectionError extends TallyError {
  constructor(message, cause) {
    super(0, null, message, null);
    if (cause !== undefined) this.cause = cause;
  }
}

const BY_STATUS = {
  400: TallyInvalidError,
  413: TallyInvalidError,
  401: TallyAuthError,
  404: TallyNotFoundError,
  409: TallyConflictError,
  503: TallyUnavailableError,
};

/** The error for a non-2xx answer, from its status and parsed body. */
export function errorFor(status, body) {
  let code = null;
  let message = `HTTP ${status}`;
  if (body && typeof body === 'object' && body.error && typeof body.error === 'object') {
    if (typeof body.error.code === 'string') code = body.error.code;
    if (typeof body.error.message === 'string') message = body.error.message;
  } else if (typeof body === 'string' && body.trim()) {
    message = body.trim().slice(0, 500);
  }
  const Cls = BY_STATUS[status] ?? TallyError;
  return new Cls(status, code, message, body);
}

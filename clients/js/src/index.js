// Tally's HTTP client for JavaScript: ESM, no dependencies, Node 20+ and browsers. See README.md.
export { TallyClient, Reporter, TERMINAL_STATES } from './client.js';
export { EventStream, SseParser, TallyEvent } from './sse.js';
export {
  TallyError,
  TallyInvalidError,
  TallyAuthError,
  TallyNotFoundError,
  TallyConflictError,
  TallyUnavailableError,
  TallyConnectionError,
  errorFor,
} from './errors.js';

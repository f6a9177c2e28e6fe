package io.tally.server;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.javalin.Javalin;
import io.javalin.http.HttpResponseException;
import io.tally.IllegalTransitionException;
import io.tally.InvalidInputException;
import io.tally.JobExistsException;
import io.tally.JobFinishedException;
import io.tally.JobNotFoundException;
import io.tally.OutcomeUnknownException;
import io.tally.StoreUnavailableException;
import io.tally.TallyException;
import org.eclipse.jetty.http.BadMessageException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The one place exceptions become HTTP statuses, so handlers just call {@code Tally} and let its exceptions through:
 * invalid 400, not found 404, illegal transition or taken id 409 {@code conflict}, finished job 409
 * {@code finished}, store down 503 {@code unavailable}, a write sent and not answered 503 {@code outcome_unknown}.
 * Javalin's own 404/405 are rewritten as the same JSON error; anything else is a bug: 500, logged with its stack.
 *
 * <p>A store's own words (a driver's message: SQL text, a host name, the store URL) go to the log, never into an answer:
 * {@link #STORE_DOWN} and {@link #OUTCOME_UNKNOWN} are all a client is told.
 */
final class ExceptionStatuses {
    // Logs under the server's name, as before the split, so existing logging configuration still applies.
    private static final Logger log = LoggerFactory.getLogger(TallyServer.class);

    /** What a client is told when the store does not answer. */
    static final String STORE_DOWN = "the store is unavailable; the server's log has the details";

    /** What a client is told when a write was sent and its answer lost. */
    static final String OUTCOME_UNKNOWN = "the store lost the connection after this was sent: it may or may not have"
            + " been applied; a retry is safe for keyed calls (items, parts, state changes), not for anonymous counts;"
            + " read the job to see where it stands";

    private ExceptionStatuses() {}

    static void install(Javalin app) {
        app.exception(ApiException.class, (e, ctx) -> JsonResponses.error(ctx, e.status(), e.code(), e.getMessage()));
        // One handler for Tally's whole exception tree (Javalin picks the closest superclass): answerFor says how.
        app.exception(TallyException.class, (e, ctx) -> {
            ErrorAnswer a = answerFor(e, ctx.method() + " " + ctx.path());
            JsonResponses.send(ctx, a.status(), a.body());
        });
        app.exception(
                JsonProcessingException.class, (e, ctx) -> JsonResponses.error(ctx, 400, "invalid", "malformed JSON"));
        app.exception(HttpResponseException.class, (e, ctx) -> {
            int st = e.getStatus();
            String code = JsonResponses.codeFor(st);
            String msg =
                    st == 404 ? "no such endpoint: " + ctx.method() + " " + Input.clip(ctx.path()) : e.getMessage();
            // A wrong method on a known path reads to a client as a missing endpoint: one status for both.
            JsonResponses.error(ctx, st == 405 ? 404 : st, code, msg);
        });
        // Jetty's own refusals while a handler reads the body (a body that stopped arriving: 408; a malformed chunk):
        // the client's doing, answered like Jetty's other errors.
        app.exception(BadMessageException.class, (e, ctx) -> {
            int st = e.getCode() >= 400 && e.getCode() < 500 ? e.getCode() : 400;
            JsonResponses.error(ctx, st, JsonResponses.codeFor(st), Input.clip(String.valueOf(e.getReason())));
        });
        app.exception(Exception.class, (e, ctx) -> {
            log.error("unexpected error on {} {}", ctx.method(), ctx.path(), e);
            JsonResponses.error(ctx, 500, "internal", "internal error; see the server log");
        });
    }

    /** An error's HTTP status and JSON body. */
    record ErrorAnswer(int status, ObjectNode body) {}

    /**
     * The answer to one of Tally's exceptions, for a whole request or for one entry of a batch.
     *
     * @param where what was being done, for the log (a method and path, or a batch entry)
     */
    static ErrorAnswer answerFor(TallyException e, String where) {
        if (e instanceof InvalidInputException) {
            return new ErrorAnswer(400, JsonResponses.errorBody("invalid", e.getMessage()));
        } else if (e instanceof JobNotFoundException) {
            return new ErrorAnswer(404, JsonResponses.errorBody("not_found", e.getMessage()));
        } else if (e instanceof IllegalTransitionException t) {
            return new ErrorAnswer(
                    409,
                    JsonResponses.errorBody("conflict", e.getMessage())
                            .put("state", t.from().name())
                            .put("target", t.to().name()));
        } else if (e instanceof JobExistsException) {
            return new ErrorAnswer(409, JsonResponses.errorBody("conflict", e.getMessage()));
        } else if (e instanceof JobFinishedException f) {
            // The job's state beside the error: a worker in any language stops on "CANCELLED".
            return new ErrorAnswer(
                    409,
                    JsonResponses.errorBody("finished", e.getMessage())
                            .put("state", f.state().name()));
        } else if (e instanceof OutcomeUnknownException) {
            log.warn("outcome unknown on {}: {}", where, e.toString());
            return new ErrorAnswer(503, JsonResponses.errorBody("outcome_unknown", OUTCOME_UNKNOWN));
        } else if (e instanceof StoreUnavailableException) {
            log.warn("store unavailable: {}", e.toString());
            return new ErrorAnswer(503, JsonResponses.errorBody("unavailable", STORE_DOWN));
        }
        return new ErrorAnswer(400, JsonResponses.errorBody("invalid", e.getMessage()));
    }
}

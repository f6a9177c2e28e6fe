package io.tally;

import java.util.Objects;
import java.util.Optional;

/**
 * Why a job failed or was cancelled: a message, the exception type and stack text when it came from an exception, and
 * the reason code.
 *
 * @param message human-readable message
 * @param type fully-qualified exception class name, or null when the error did not come from an exception
 * @param stack stack trace text, or null
 * @param reason why the job ended
 */
public record JobError(String message, String type, String stack, FailureReason reason) {
    /** Longest stack text kept; deeper frames are cut so one failure cannot bloat the store. */
    public static final int MAX_STACK_CHARS = 16 * 1024;

    /** Validates the fields. */
    public JobError {
        Objects.requireNonNull(reason, "reason");
        message = message == null ? "" : message;
    }

    /**
     * @param message the message
     * @param reason the reason code
     * @return an error with no exception attached
     */
    public static JobError of(String message, FailureReason reason) {
        return new JobError(message, null, null, reason);
    }

    /**
     * Captures an exception as text (never Java serialization).
     *
     * @param e the exception
     * @return an error with reason {@link FailureReason#ERROR}
     */
    public static JobError of(Throwable e) {
        java.io.StringWriter out = new java.io.StringWriter();
        e.printStackTrace(new java.io.PrintWriter(out));
        String stack = out.toString();
        if (stack.length() > MAX_STACK_CHARS) {
            stack = stack.substring(0, MAX_STACK_CHARS) + "\n\t... (truncated)";
        }
        String message = e.getMessage() == null ? e.getClass().getName() : e.getMessage();
        return new JobError(message, e.getClass().getName(), stack, FailureReason.ERROR);
    }

    /** @return the exception type, when there was one */
    public Optional<String> exceptionType() {
        return Optional.ofNullable(type);
    }

    /** @return the stack text, when there was one */
    public Optional<String> stackText() {
        return Optional.ofNullable(stack);
    }
}

package io.tally.cli;

/**
 * The job's state refused what the command asked (exit code 1), in a case the API answers without an exception: a
 * {@code start --claim} that another caller won.
 */
final class RefusedException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    RefusedException(String message) {
        // No stack trace: an answer for the user, as NotFoundException.
        super(message, null, false, false);
    }
}

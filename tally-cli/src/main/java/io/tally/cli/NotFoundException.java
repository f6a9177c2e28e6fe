package io.tally.cli;

/** A definition (or another named thing that is not a job) does not exist: exit code 3. */
final class NotFoundException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    NotFoundException(String message) {
        // No stack trace: this is an answer for the user, not a bug; --verbose would only show the command's frames.
        super(message, null, false, false);
    }
}

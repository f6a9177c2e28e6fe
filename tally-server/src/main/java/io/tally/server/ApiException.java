package io.tally.server;

/**
 * An HTTP error with its status and one of the documented codes ({@code invalid}, {@code unauthorized},
 * {@code not_found}, {@code conflict}, {@code finished}, {@code too_large}, {@code unavailable}); rendered as
 * {@code {"error":{"code":…,"message":…}}}.
 */
final class ApiException extends RuntimeException {
    private static final long serialVersionUID = 1L;
    private final int status;
    private final String code;

    ApiException(int status, String code, String message) {
        super(message, null, false, false); // no stack: this is an answer, not a bug
        this.status = status;
        this.code = code;
    }

    static ApiException invalid(String message) {
        return new ApiException(400, "invalid", message);
    }

    int status() {
        return status;
    }

    String code() {
        return code;
    }
}

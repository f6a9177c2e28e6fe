package io.tally.server;

import jakarta.servlet.Filter;
import jakarta.servlet.FilterChain;
import jakarta.servlet.ServletException;
import jakarta.servlet.ServletRequest;
import jakarta.servlet.ServletResponse;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.Semaphore;

/**
 * Keeps request bodies from taking every thread. A body is read with a blocking read on one of the server's threads,
 * so a few hundred clients that send headers and then a body slowly (or never) would hold every thread and leave
 * {@code /health} and every read unanswered. At most {@code permits} requests with a body run at once; one more gets
 * 503 {@code busy} at once and its connection closed. With the idle timeout (which ends a body that stops arriving),
 * this leaves the rest of the pool to requests without a body, whatever the slow ones do.
 */
final class BodyBulkhead implements Filter {
    private final Semaphore permits;
    private final int max;

    /** @param permits most requests with a body handled at once */
    BodyBulkhead(int permits) {
        this.max = permits;
        this.permits = new Semaphore(permits);
    }

    @Override
    public void doFilter(ServletRequest request, ServletResponse response, FilterChain chain)
            throws IOException, ServletException {
        HttpServletRequest req = (HttpServletRequest) request;
        boolean hasBody = req.getContentLengthLong() > 0 || req.getHeader("Transfer-Encoding") != null;
        if (!hasBody) {
            chain.doFilter(request, response);
            return;
        }
        if (!permits.tryAcquire()) {
            refuse((HttpServletResponse) response);
            return;
        }
        try {
            chain.doFilter(request, response);
        } finally {
            permits.release();
        }
    }

    /** The API's JSON error shape, written here since the request never reaches Javalin. */
    private void refuse(HttpServletResponse res) throws IOException {
        res.setStatus(503);
        res.setHeader("Connection", "close"); // its body is not read: the connection cannot carry another request
        res.setHeader("Retry-After", "1");
        res.setContentType(JsonResponses.JSON);
        res.getOutputStream()
                .write(JsonResponses.errorBody(
                                "busy", "the server is reading " + max + " request bodies already; retry shortly")
                        .toString()
                        .getBytes(StandardCharsets.UTF_8));
    }
}

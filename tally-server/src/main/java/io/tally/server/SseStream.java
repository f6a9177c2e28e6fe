package io.tally.server;

import jakarta.servlet.ServletOutputStream;
import jakarta.servlet.WriteListener;
import java.io.IOException;
import java.util.ArrayDeque;
import java.util.concurrent.CompletableFuture;

/**
 * One event stream's connection, written without blocking: what is sent is queued here and written whenever the
 * connection can take it ({@link WriteListener}). No thread waits on a client, so a server holds thousands of streams
 * on a few threads, and a slow or dead client costs its own queue only: past {@link #MAX_PENDING_BYTES} waiting, the
 * stream ends (a browser's EventSource reconnects and resumes from the hub's buffer).
 *
 * <p>Until {@link #attach} everything sent waits, so the head (the snapshot or the replay, read after the client was
 * registered with the hub) goes out first and no event falls between the two.
 */
final class SseStream implements EventHub.Sink, WriteListener {
    /** What may wait for a client that does not read: a few hundred events. */
    static final int MAX_PENDING_BYTES = 256 * 1024;

    private final ArrayDeque<byte[]> pending = new ArrayDeque<>();
    private final CompletableFuture<Void> ended = new CompletableFuture<>();
    private final Runnable onEnd;
    private ServletOutputStream out;
    private int pendingBytes;
    private boolean flushNeeded;
    private boolean closing;

    /** @param onEnd run once when the stream ends, however it ends (the hub forgets the client) */
    SseStream(Runnable onEnd) {
        this.onEnd = onEnd;
    }

    /** @return completes when the stream has ended: the request is then complete */
    CompletableFuture<Void> ended() {
        return ended;
    }

    /**
     * Starts writing: {@code head} first, then what was sent meanwhile. Called once the request is asynchronous.
     *
     * @param out the response's stream, to be written without blocking from now on
     * @param head the first bytes: the retry advice and the snapshot or the replayed events
     */
    synchronized void attach(ServletOutputStream out, byte[] head) {
        this.out = out;
        pending.addFirst(head);
        pendingBytes += head.length;
        out.setWriteListener(this); // the container calls onWritePossible as soon as it can take bytes
    }

    /** Ends the stream once what is queued has been written (the server is stopping). */
    @Override
    public synchronized void finish() {
        closing = true;
        drain();
    }

    @Override
    public synchronized void send(byte[] chunk) {
        if (ended.isDone()) {
            return;
        }
        if (pendingBytes + chunk.length > MAX_PENDING_BYTES) {
            end(); // too far behind: it reconnects and resumes from the buffer
            return;
        }
        pending.addLast(chunk);
        pendingBytes += chunk.length;
        drain();
    }

    @Override
    public synchronized void onWritePossible() {
        drain();
    }

    @Override
    public void onError(Throwable t) {
        end(); // the client went away: the normal end of a stream
    }

    /** Writes while the connection takes bytes without blocking; the container calls back when it can take more. */
    private void drain() {
        if (out == null || ended.isDone()) {
            return;
        }
        try {
            while (out.isReady()) {
                byte[] next = pending.pollFirst();
                if (next != null) {
                    pendingBytes -= next.length;
                    out.write(next);
                    flushNeeded = true;
                } else if (flushNeeded) {
                    flushNeeded = false;
                    out.flush();
                } else {
                    if (closing) {
                        end();
                    }
                    return;
                }
            }
        } catch (IOException | IllegalStateException e) {
            end();
        }
    }

    private synchronized void end() {
        if (ended.isDone()) {
            return;
        }
        pending.clear();
        pendingBytes = 0;
        onEnd.run();
        ended.complete(null);
    }
}

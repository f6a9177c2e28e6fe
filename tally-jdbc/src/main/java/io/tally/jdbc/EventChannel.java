package io.tally.jdbc;

import java.sql.Connection;
import java.sql.SQLException;
import java.util.function.Consumer;
import javax.sql.DataSource;

/**
 * Carries events between processes sharing one database (PostgreSQL {@code LISTEN/NOTIFY}). A store sends one
 * notification per write transaction with a lifecycle event, inside it, so that it is delivered on commit and never for
 * a rollback; progress-only writes are notified after their commit, coalesced per job ({@link ProgressNotifier}).
 */
public interface EventChannel {
    /** Sends {@code payload} inside the transaction open on {@code c}. */
    void send(Connection c, String payload) throws SQLException;

    /**
     * Starts listening on a connection of its own taken from {@code dataSource}, reconnecting after failures.
     *
     * @param payloads called on the listener thread with each payload, including this process's own
     * @return stops listening and releases the connection
     */
    AutoCloseable listen(DataSource dataSource, Consumer<String> payloads);

    /** @return the largest payload the channel carries, in bytes */
    int maxPayloadBytes();
}

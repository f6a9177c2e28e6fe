package io.tally.jdbc.postgres;

import io.tally.jdbc.ChannelListener;
import io.tally.jdbc.EventChannel;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.function.Consumer;
import javax.sql.DataSource;
import org.postgresql.PGConnection;
import org.postgresql.PGNotification;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code LISTEN/NOTIFY} on one channel per schema and table prefix. {@link #send} calls {@code pg_notify} inside the
 * writer's transaction, so PostgreSQL delivers it on commit only. {@link #listen} holds one connection that has run
 * {@code LISTEN} and polls it for notifications; when the connection breaks it reconnects ({@link ChannelListener}) and
 * listens again. Notifications sent while no listener was connected are not replayed.
 */
final class PgChannel implements EventChannel {
    private static final Logger log = LoggerFactory.getLogger(PgChannel.class);
    private final String channel;

    PgChannel(String namespace) {
        String c = (namespace + "events").replaceAll("[^a-z0-9_]", "_");
        this.channel = c.length() > 63 ? c.substring(c.length() - 63) : c;
    }

    @Override
    public void send(Connection c, String payload) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("SELECT pg_notify(?, ?)")) {
            ps.setString(1, channel);
            ps.setString(2, payload);
            ps.execute();
        }
    }

    @Override
    public int maxPayloadBytes() {
        return 7900;
    }

    @Override
    public AutoCloseable listen(DataSource dataSource, Consumer<String> payloads) {
        return new ChannelListener(dataSource, "LISTEN " + channel, log) {
            @Override
            protected void listen(Connection c) throws SQLException {
                try (Statement s = c.createStatement()) {
                    s.execute("LISTEN \"" + channel + "\"");
                }
                PGConnection pg = c.unwrap(PGConnection.class);
                while (!closed()) {
                    PGNotification[] ns = pg.getNotifications(250);
                    if (ns == null) {
                        continue;
                    }
                    for (PGNotification n : ns) {
                        try {
                            payloads.accept(n.getParameter());
                        } catch (RuntimeException e) {
                            log.warn("could not deliver notification {}", n.getParameter(), e);
                        }
                    }
                }
            }
        }.start("tally-pg-listen-" + channel);
    }
}

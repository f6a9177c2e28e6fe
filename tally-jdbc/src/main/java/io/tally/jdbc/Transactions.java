package io.tally.jdbc;

import io.tally.InvalidInputException;
import io.tally.OutcomeUnknownException;
import io.tally.StoreUnavailableException;
import io.tally.TallyException;
import io.tally.store.StoreEvent;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.locks.Lock;
import java.util.concurrent.locks.ReentrantLock;
import javax.sql.DataSource;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The SQL store's transactions: one per write, retried on deadlocks and busy databases, its events handed on only
 * once it committed, every driver exception translated into Tally's own ({@link StoreUnavailableException}, or
 * {@link InvalidInputException} for text the database cannot store) with the store's secret masked.
 *
 * <p>Writes to one job are also serialised in this process, by a lock stripe of the job ({@link #lockOf}): events of a
 * job are published after the commit while the stripe is held, so they leave in commit order. SQLite, which allows one
 * writer at a time anyway, has one lock for everything.
 */
final class Transactions {
    private static final Logger log = LoggerFactory.getLogger(Transactions.class);

    private static final int MAX_ATTEMPTS = 8;
    private static final int BATCH = 1000;

    /** Work done in one transaction; run again from the start when the transaction is retried. */
    @FunctionalInterface
    interface Work<T> {
        T run(Tx tx) throws SQLException;
    }

    /**
     * One transaction: its connection, the writes left to send with its commit, and the events to publish once it
     * committed.
     */
    static final class Tx {
        final Connection c;
        /** Whether {@link StatementPipeline}s on this connection may send their statements together. */
        final boolean together;
        /** Statements sent with the commit: in the same round trip where they can go together ({@link #write}). */
        final StatementPipeline writes = new StatementPipeline();

        final List<StoreEvent> events = new ArrayList<>();

        Tx(Connection c, boolean together) {
            this.c = c;
            this.together = together;
        }

        void emit(StoreEvent e) {
            events.add(e);
        }
    }

    /** Where a transaction's events go: inside it, just before the commit, and after it. */
    interface Publisher {
        /** Called in the transaction, before it commits (a notification sent here is delivered on commit only). */
        void beforeCommit(Connection c, List<StoreEvent> events) throws SQLException;

        /** Called once the transaction committed, with the stripe lock still held. */
        void afterCommit(List<StoreEvent> events);
    }

    /** Sets the parameters of row {@code index} (0-based) of a batched statement. */
    @FunctionalInterface
    interface RowBinder<T> {
        void bind(T row, int index) throws SQLException;
    }

    private final Dialect dialect;
    private final DataSource writeSource;
    private final DataSource readSource;
    private final Lock writeLock;
    private final boolean readsUnderWriteLock;
    private final Lock[] stripes;
    private final String description;
    private final String secret;
    private Publisher publisher;

    /**
     * @param stripes lock stripes for stores whose database takes concurrent writers
     * @param readsUnderWriteLock SQLite on one connection: reads wait for the writer too
     */
    Transactions(
            Dialect dialect,
            DataSource writeSource,
            DataSource readSource,
            int stripes,
            boolean readsUnderWriteLock,
            String description,
            String secret) {
        this.dialect = dialect;
        this.writeSource = writeSource;
        this.readSource = readSource;
        this.writeLock = dialect.singleWriter() ? new ReentrantLock() : null;
        this.readsUnderWriteLock = readsUnderWriteLock && writeLock != null;
        this.stripes = new Lock[writeLock != null ? 1 : stripes];
        for (int i = 0; i < this.stripes.length; i++) {
            this.stripes[i] = writeLock != null ? writeLock : new ReentrantLock();
        }
        this.description = description;
        this.secret = secret;
    }

    /** Sets where events go; called once, before the first write. */
    void publishTo(Publisher publisher) {
        this.publisher = publisher;
    }

    /** @return how many lock stripes there are */
    int stripes() {
        return stripes.length;
    }

    /** @return the stripe of job {@code id} */
    int stripeOf(String id) {
        return Math.floorMod(id.hashCode(), stripes.length);
    }

    /** @return the lock serialising this process's writes to job {@code id} */
    Lock lockOf(String id) {
        return stripes[stripeOf(id)];
    }

    /** @return the lock of stripe {@code stripe} */
    Lock stripe(int stripe) {
        return stripes[stripe];
    }

    /** @return a connection for writing, outside any transaction this class runs (migrations) */
    Connection writeConnection() throws SQLException {
        return writeSource.getConnection();
    }

    /**
     * Runs {@code work} in one write transaction under {@code lock}, retried on deadlocks and busy databases; publishes
     * its events after the commit, still holding the lock.
     */
    <T> T write(Lock lock, String what, Work<T> work) {
        lock.lock();
        try {
            for (int attempt = 1; ; attempt++) {
                T result;
                List<StoreEvent> emitted;
                try (Connection c = writeSource.getConnection()) {
                    dialect.beginWrite(c);
                    boolean committed = false;
                    try {
                        Tx tx = new Tx(c, dialect.sendsStatementsTogether(c));
                        result = work.run(tx);
                        if (!tx.events.isEmpty()) {
                            publisher.beforeCommit(c, tx.events);
                        }
                        boolean withWrites = tx.together && !tx.writes.isEmpty() && tx.writes.fitsOneTrip();
                        if (!withWrites) {
                            tx.writes.run(c, tx.together);
                        }
                        try {
                            if (withWrites) {
                                tx.writes.commit().run(c, true);
                            }
                            dialect.commit(c); // (after a COMMIT sent with the writes: nothing is left to commit)
                        } catch (SQLException e) {
                            if (dialect.isConnectionLost(e) || !isValid(c)) {
                                // The COMMIT was sent: whether it took effect is known only to the database.
                                throw new OutcomeUnknownException(
                                        dialect.name() + " store " + description + " lost its connection while"
                                                + " committing (" + what + "): the write may or may not have been"
                                                + " applied",
                                        e);
                            }
                            throw e;
                        }
                        committed = true;
                        emitted = tx.events;
                    } finally {
                        if (!committed) {
                            rollbackQuietly(c);
                        }
                    }
                } catch (SQLException e) {
                    if (attempt < MAX_ATTEMPTS && dialect.isRetryable(e)) {
                        pause(attempt);
                        continue;
                    }
                    throw translate(e, what);
                }
                if (!emitted.isEmpty()) {
                    publisher.afterCommit(emitted);
                }
                return result;
            }
        } finally {
            lock.unlock();
        }
    }

    /** Runs {@code work} on a read connection (under the write lock where reads must wait for the writer). */
    <T> T read(String what, Work<T> work) {
        Lock lock = readsUnderWriteLock ? writeLock : null;
        if (lock != null) {
            lock.lock();
        }
        try (Connection c = readSource.getConnection()) {
            try {
                T result = work.run(new Tx(c, false));
                if (!c.getAutoCommit()) {
                    c.commit();
                }
                return result;
            } catch (SQLException | RuntimeException e) {
                rollbackQuietly(c);
                throw e;
            }
        } catch (SQLException e) {
            throw translate(e, what);
        } finally {
            if (lock != null) {
                lock.unlock();
            }
        }
    }

    /** Supplies a value from the database. */
    @FunctionalInterface
    interface SqlSupplier<T> {
        T get() throws SQLException;
    }

    /** Runs {@code s} holding the single writer's lock where there is one (migrations on SQLite). */
    <T> T withWriteLock(SqlSupplier<T> s) throws SQLException {
        if (writeLock != null) {
            writeLock.lock();
        }
        try {
            return s.get();
        } finally {
            if (writeLock != null) {
                writeLock.unlock();
            }
        }
    }

    /** Adds a row per element of {@code rows} to {@code ps}'s batch, executing it every {@value #BATCH} rows. */
    static <T> void executeBatched(PreparedStatement ps, Iterable<T> rows, RowBinder<T> binder) throws SQLException {
        int n = 0;
        for (T row : rows) {
            binder.bind(row, n);
            ps.addBatch();
            if (++n % BATCH == 0) {
                ps.executeBatch();
            }
        }
        if (n % BATCH != 0) {
            ps.executeBatch();
        }
    }

    /** @return Tally's exception for a driver exception while doing {@code what}, the secret masked */
    TallyException translate(SQLException e, String what) {
        if (dialect.isUnstorableText(e)) {
            return new InvalidInputException(
                    "text", dialect.name() + " cannot store this text: " + mask(e.getMessage()));
        }
        return new StoreUnavailableException(
                dialect.name() + " store " + description + " could not " + what + ": " + mask(e.getMessage()), e);
    }

    private String mask(String message) {
        if (message == null) {
            return "";
        }
        return secret == null || secret.isEmpty() ? message : message.replace(secret, "***");
    }

    /** @return whether {@code c} still answers (false after its server ended it, as when killed mid-commit) */
    private static boolean isValid(Connection c) {
        try {
            return c.isValid(1);
        } catch (SQLException e) {
            return false;
        }
    }

    private void rollbackQuietly(Connection c) {
        try {
            if (dialect.singleWriter()) {
                if (c.getAutoCommit() && !c.isClosed()) {
                    try (var s = c.createStatement()) {
                        s.execute("ROLLBACK");
                    } catch (SQLException ignored) {
                        // no transaction was open
                    }
                } else {
                    c.rollback();
                }
            } else if (!c.getAutoCommit()) {
                c.rollback();
            }
        } catch (SQLException e) {
            log.debug("rollback failed on {}", description, e);
        }
    }

    private static void pause(int attempt) {
        try {
            Thread.sleep(ThreadLocalRandom.current().nextLong(1, 5L << Math.min(attempt, 6)));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new StoreUnavailableException("interrupted while retrying a conflicting write", e);
        }
    }
}

package io.tally.jdbc;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;

/**
 * Applies the shipped migrations of a dialect, each once and in order, recording each in {@code <prefix>schema_version}
 * (version, description, applied_at). Runs under the dialect's migration lock, so two processes opening the same
 * database at once apply each migration once; where DDL is transactional a migration is applied whole or not at all.
 */
final class Migrator {
    private final Dialect dialect;
    private final Tables t;

    Migrator(Dialect dialect, Tables tables) {
        this.dialect = dialect;
        this.t = tables;
    }

    /** @return the schema version after migrating */
    int migrate(Connection c) throws SQLException {
        String lockName = "tally-migrate:" + t.jobs;
        dialect.beginWrite(c);
        boolean ok = false;
        try {
            dialect.lockMigrations(c, lockName);
            try {
                if (t.schema != null) {
                    exec(c, "CREATE SCHEMA IF NOT EXISTS " + t.schema);
                }
                exec(
                        c,
                        "CREATE TABLE IF NOT EXISTS " + t.schemaVersion + " (version INTEGER NOT NULL PRIMARY KEY,"
                                + " description VARCHAR(200) NOT NULL, applied_at BIGINT NOT NULL)");
                int current = currentVersion(c);
                for (Dialect.Migration m : dialect.migrations()) {
                    if (m.version() <= current) {
                        continue;
                    }
                    for (String sql : statements(script(m))) {
                        exec(c, sql);
                    }
                    try (PreparedStatement ps = c.prepareStatement("INSERT INTO " + t.schemaVersion
                            + " (version, description, applied_at) VALUES (?, ?, ?)")) {
                        ps.setInt(1, m.version());
                        ps.setString(2, m.description());
                        ps.setLong(3, System.currentTimeMillis());
                        ps.executeUpdate();
                    }
                    current = m.version();
                }
                dialect.commit(c);
                ok = true;
                return current;
            } finally {
                if (!ok) {
                    dialect.rollback(c);
                }
                dialect.unlockMigrations(c, lockName);
            }
        } finally {
            if (!ok && !c.getAutoCommit()) {
                c.rollback();
            }
        }
    }

    /** @return the highest applied version, 0 for an empty database */
    int currentVersion(Connection c) throws SQLException {
        try (Statement s = c.createStatement();
                ResultSet rs = s.executeQuery("SELECT MAX(version) FROM " + t.schemaVersion)) {
            return rs.next() ? rs.getInt(1) : 0;
        }
    }

    /** @return the highest version this jar ships */
    int latestVersion() {
        List<Dialect.Migration> all = dialect.migrations();
        return all.isEmpty() ? 0 : all.get(all.size() - 1).version();
    }

    private String script(Dialect.Migration m) {
        String path = dialect.migrationFolder() + "/" + m.resource();
        try (InputStream in = Migrator.class.getClassLoader().getResourceAsStream(path)) {
            if (in == null) {
                throw new IllegalStateException("migration " + path + " is missing from the jar");
            }
            return new String(in.readAllBytes(), StandardCharsets.UTF_8)
                    .replace("${p}", t.prefixQualified)
                    .replace("${n}", t.prefix);
        } catch (IOException e) {
            throw new IllegalStateException("cannot read migration " + path, e);
        }
    }

    /** Splits a script at semicolons that end a line, dropping {@code --} comment lines. */
    static List<String> statements(String script) {
        List<String> out = new ArrayList<>();
        StringBuilder cur = new StringBuilder();
        for (String line : script.split("\n")) {
            String trimmed = line.strip();
            if (trimmed.isEmpty() || trimmed.startsWith("--")) {
                continue;
            }
            cur.append(line).append('\n');
            if (trimmed.endsWith(";")) {
                String sql = cur.toString().strip();
                out.add(sql.substring(0, sql.length() - 1));
                cur.setLength(0);
            }
        }
        if (!cur.toString().isBlank()) {
            out.add(cur.toString().strip());
        }
        return out;
    }

    private static void exec(Connection c, String sql) throws SQLException {
        try (Statement s = c.createStatement()) {
            s.execute(sql);
        }
    }
}

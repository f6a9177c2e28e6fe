package io.tally.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The pgbench scripts of {@link SqlBench}'s PostgreSQL references, on the scratch tables {@code raw_jobs (id,
 * succeeded, failed)} and {@code raw_items (job_id, item_key, outcome)}, each pgbench client on its own row
 * ({@code :client_id}):
 *
 * <ul>
 *   <li>{@code tick}: the counter as one statement in autocommit ({@code UPDATE … + 1});
 *   <li>{@code insertCount}: a keyed record or a part as the idempotent insert-and-count transaction;
 *   <li>{@code tickNotify}: the counter with a {@code pg_notify} in its transaction;
 *   <li>{@code tickLocked}, {@code insertCountLocked}: the same writes as a read-decide-write transaction (lock the
 *       row, read what a decision needs, write, commit), the least a store that decides in the client can do.
 * </ul>
 */
record PgScripts(Path tick, Path insertCount, Path tickNotify, Path tickLocked, Path insertCountLocked) {

    /** Writes the scripts for the tables of {@code schema} into {@code dir}. */
    static PgScripts write(Path dir, String schema) throws IOException {
        Path tick = write(
                dir,
                "tick.sql",
                "UPDATE " + schema + ".raw_jobs SET succeeded = succeeded + 1 WHERE id = :client_id;\n");
        Path insertCount = write(
                dir,
                "insert-count.sql",
                "\\set key random(1, 2000000000)\n"
                        + "BEGIN;\n"
                        + "INSERT INTO " + schema + ".raw_items (job_id, item_key, outcome)"
                        + " VALUES (:client_id, :key, 1) ON CONFLICT DO NOTHING;\n"
                        + "UPDATE " + schema + ".raw_jobs SET succeeded = succeeded + 1"
                        + " WHERE id = :client_id;\n"
                        + "END;\n");
        Path tickNotify = write(
                dir,
                "tick-notify.sql",
                "BEGIN;\n"
                        + "UPDATE " + schema + ".raw_jobs SET succeeded = succeeded + 1"
                        + " WHERE id = :client_id;\n"
                        + "SELECT pg_notify('" + schema + "_events', '{\"id\":\"' || :client_id"
                        + " || '\",\"e\":[\"PROGRESS\"]}');\n"
                        + "END;\n");
        Path tickLocked = write(
                dir,
                "tick-locked.sql",
                "BEGIN;\n"
                        + "SELECT succeeded, failed FROM " + schema + ".raw_jobs WHERE id = :client_id"
                        + " FOR UPDATE;\n"
                        + "UPDATE " + schema + ".raw_jobs SET succeeded = succeeded + 1"
                        + " WHERE id = :client_id;\n"
                        + "END;\n");
        Path insertCountLocked = write(
                dir,
                "insert-count-locked.sql",
                "\\set key random(1, 2000000000)\n"
                        + "BEGIN;\n"
                        + "SELECT succeeded, failed FROM " + schema + ".raw_jobs WHERE id = :client_id"
                        + " FOR UPDATE;\n"
                        + "SELECT outcome FROM " + schema + ".raw_items WHERE job_id = :client_id::text"
                        + " AND item_key = :key::text;\n"
                        + "INSERT INTO " + schema + ".raw_items (job_id, item_key, outcome)"
                        + " VALUES (:client_id, :key, 1) ON CONFLICT DO NOTHING;\n"
                        + "UPDATE " + schema + ".raw_jobs SET succeeded = succeeded + 1"
                        + " WHERE id = :client_id;\n"
                        + "END;\n");
        return new PgScripts(tick, insertCount, tickNotify, tickLocked, insertCountLocked);
    }

    private static Path write(Path dir, String name, String text) throws IOException {
        return Files.writeString(dir.resolve(name), text);
    }
}

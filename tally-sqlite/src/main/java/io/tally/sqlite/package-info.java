/**
 * The artifact {@code io.tally:tally-sqlite}: Tally's SQL store ({@code tally-jdbc}) with the SQLite JDBC driver
 * ({@code org.xerial:sqlite-jdbc}), so that adding this one dependency makes {@code sqlite:} URLs work. It holds no
 * code of its own:
 *
 * <pre>{@code
 * try (Tally tally = Tally.open("sqlite:tally.db")) {    // a file, created with its folders if missing
 *     Job job = tally.create(JobSpec.builder().name("import").total(10).start(true).build());
 *     job.recordSuccess();
 * }
 * }</pre>
 *
 * {@code sqlite::memory:} opens a private in-memory database. The options of the URL, the schema and how writes stay
 * atomic are described in {@code io.tally.jdbc.JdbcJobStore} and tally-jdbc's README.
 */
package io.tally.sqlite;

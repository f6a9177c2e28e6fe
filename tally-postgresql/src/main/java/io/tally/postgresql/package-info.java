/**
 * The artifact {@code io.tally:tally-postgresql}: Tally's SQL store ({@code tally-jdbc}) with the PostgreSQL JDBC
 * driver ({@code org.postgresql:postgresql}), so that adding this one dependency makes {@code postgresql://} URLs
 * work. It holds no code of its own:
 *
 * <pre>{@code
 * try (Tally tally = Tally.open("postgresql://user:password@127.0.0.1:5432/jobs?schema=tally")) {
 *     Job job = tally.create(JobSpec.builder().name("import").total(10).start(true).build());
 *     job.recordSuccess();
 * }
 * }</pre>
 *
 * The options of the URL, the schema, events over LISTEN/NOTIFY and how writes stay atomic are described in
 * {@code io.tally.jdbc.JdbcJobStore} and tally-jdbc's README.
 */
package io.tally.postgresql;

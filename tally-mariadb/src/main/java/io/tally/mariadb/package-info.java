/**
 * The artifact {@code io.tally:tally-mariadb}: Tally's SQL store ({@code tally-jdbc}) with the MariaDB JDBC driver
 * ({@code org.mariadb.jdbc:mariadb-java-client}), so that adding this one dependency makes {@code mariadb://} (and
 * {@code mysql://}) URLs work. It holds no code of its own:
 *
 * <pre>{@code
 * try (Tally tally = Tally.open("mariadb://user:password@127.0.0.1:3306/jobs")) {
 *     Job job = tally.create(JobSpec.builder().name("import").total(10).start(true).build());
 *     job.recordSuccess();
 * }
 * }</pre>
 *
 * The options of the URL, the schema and how writes stay atomic are described in {@code io.tally.jdbc.JdbcJobStore}
 * and tally-jdbc's README.
 */
package io.tally.mariadb;

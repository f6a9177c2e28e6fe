package io.tally.jdbc;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.tally.StoreUnavailableException;
import io.tally.store.JobStore;
import io.tally.store.NewJob;
import io.tally.store.ProgressUpdate;
import io.tally.testing.TestServices;
import java.net.URI;
import java.sql.Connection;
import java.sql.Statement;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** The database goes away (a proxy in front of it stops): writes fail as unavailable, then work again by themselves. */
class RecoveryIT {

    @ParameterizedTest
    @ValueSource(strings = {"postgresql", "mariadb"})
    void theStoreRecoversWhenTheDatabaseComesBack(String scheme) throws Exception {
        String base = scheme.equals("postgresql") ? TestServices.postgresUrl() : TestServices.mariadbUrl();
        URI uri = URI.create(base);
        int target = uri.getPort() > 0 ? uri.getPort() : scheme.equals("postgresql") ? 5432 : 3306;
        String prefix = "rec_" + UUID.randomUUID().toString().replace("-", "").substring(0, 10) + "_";
        try (TcpProxy proxy = new TcpProxy(target)) {
            proxy.start();
            String url = base.replace(
                    uri.getHost() + (uri.getPort() > 0 ? ":" + uri.getPort() : ""), "127.0.0.1:" + proxy.port());
            url = TestServices.withOption(url, "tablePrefix=" + prefix + "&connectTimeout=1000&poolSize=2");
            try (JobStore store = new JdbcJobStoreProvider().open(url, Clock.systemUTC())) {
                store.create(new NewJob("r", "n", null, null, "{}", 0, true, List.of(), 0, null, null, null, null));
                store.await(store.record("r", ProgressUpdate.counts(1, 0)));

                proxy.stop();
                assertThatThrownBy(() -> store.await(store.record("r", ProgressUpdate.counts(1, 0))))
                        .isInstanceOf(StoreUnavailableException.class)
                        .hasMessageContaining("127.0.0.1:" + proxy.port());

                proxy.start();
                await().atMost(Duration.ofSeconds(30)).ignoreExceptions().until(() -> {
                    store.await(store.record("r", ProgressUpdate.counts(1, 0)));
                    return true;
                });
                assertThat(store.find("r").orElseThrow().succeeded()).isEqualTo(2);
            }
        } finally {
            try (Connection c = TestServices.connect(base);
                    Statement s = c.createStatement()) {
                for (String table : List.of("logs", "items", "parts", "jobs", "schema_version")) {
                    s.execute("DROP TABLE IF EXISTS " + prefix + table);
                }
            }
        }
    }
}

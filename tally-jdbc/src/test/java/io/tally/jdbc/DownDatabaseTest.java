package io.tally.jdbc;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.tally.InvalidInputException;
import io.tally.StoreUnavailableException;
import java.io.IOException;
import java.net.ServerSocket;
import java.time.Clock;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * A database that is not there gives StoreUnavailableException naming the URL, never its password; a bad URL is
 * invalid input; misuse of the builder is the programmer's (NullPointerException, IllegalArgumentException,
 * IllegalStateException).
 */
class DownDatabaseTest {

    @ParameterizedTest
    @ValueSource(strings = {"postgresql", "mariadb"})
    void aDownDatabaseIsUnavailableWithThePasswordMasked(String scheme) throws IOException {
        int port;
        try (ServerSocket s = new ServerSocket(0)) {
            port = s.getLocalPort(); // free now, so nothing listens there
        }
        String url = scheme + "://tally:s3cr3t-pw@127.0.0.1:" + port + "/test?connectTimeout=500";
        assertThatThrownBy(() -> new JdbcJobStoreProvider().open(url, Clock.systemUTC()))
                .isInstanceOf(StoreUnavailableException.class)
                .hasMessageContaining(scheme + "://tally:***@127.0.0.1:" + port + "/test")
                .satisfies(e -> assertThat(e.getMessage()).doesNotContain("s3cr3t-pw"));
    }

    @ParameterizedTest
    @ValueSource(strings = {"postgresql://host", "mariadb://u:p@host:3306/", "sqlite:", "postgresql://h/db?poolSize=x"})
    void malformedUrlsAreInvalidInput(String url) {
        assertThatThrownBy(() -> new JdbcJobStoreProvider().open(url, Clock.systemUTC()))
                .isInstanceOf(InvalidInputException.class)
                .satisfies(e -> assertThat(e.getMessage()).doesNotContain(":p@"));
    }

    @ParameterizedTest
    @ValueSource(strings = {"Bad-Prefix", "x;drop", "1abc"})
    void tablePrefixesAreChecked(String prefix) {
        assertThatThrownBy(() ->
                        new JdbcJobStoreProvider().open("sqlite::memory:?tablePrefix=" + prefix, Clock.systemUTC()))
                .isInstanceOf(InvalidInputException.class)
                .hasMessageContaining("tablePrefix");
    }

    @ParameterizedTest
    @ValueSource(strings = {"Bad-Schema", "x;drop", "1abc"})
    void schemasAreChecked(String schema) {
        assertThatThrownBy(() -> new JdbcJobStoreProvider()
                        .open("postgresql://u@127.0.0.1:1/db?schema=" + schema, Clock.systemUTC()))
                .isInstanceOf(InvalidInputException.class)
                .hasMessageStartingWith("schema: ");
    }

    @Test
    void builderMisuseIsTheProgrammers() {
        assertThatThrownBy(() -> JdbcJobStore.builder().tablePrefix("Bad-Prefix"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageStartingWith("tablePrefix: ");
        assertThatThrownBy(() -> JdbcJobStore.builder().schema("x;drop"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageStartingWith("schema: ");
        assertThatThrownBy(() -> JdbcJobStore.builder().tablePrefix(null)).isInstanceOf(NullPointerException.class);
        assertThatThrownBy(() -> JdbcJobStore.builder().dataSource(null)).isInstanceOf(NullPointerException.class);
        assertThatThrownBy(() -> JdbcJobStore.builder().build())
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("dataSource(");
        assertThat(JdbcJobStore.builder().tablePrefix("").schema(null)).isNotNull();
    }
}

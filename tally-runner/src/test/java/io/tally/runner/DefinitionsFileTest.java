package io.tally.runner;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.tally.InvalidInputException;
import io.tally.JobState;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class DefinitionsFileTest extends RunnerTestSupport {
    static final AtomicInteger cleanups = new AtomicInteger();

    /** Functions named by the files below. */
    public static class Jobs {
        public static int fetch(BuildContext ctx) {
            return ctx.param("n", Integer.class);
        }

        public int parse(BuildContext ctx) {
            return ctx.dependencyResult("fetch", Integer.class) * 2;
        }

        public static void cleanup() {
            cleanups.incrementAndGet();
        }
    }

    @TempDir
    Path dir;

    @Test
    void aYamlFileDefinesJobsByClassAndMethod() throws Exception {
        Path file = dir.resolve("jobs.yaml");
        Files.writeString(file, """
                definitions:
                  - id: fetch
                    function: io.tally.runner.DefinitionsFileTest$Jobs#fetch
                    params: {n: 21}
                    title: Fetch
                    tags: [etl]
                    timeout: PT10M
                    version: "2"
                    cleanup: io.tally.runner.DefinitionsFileTest$Jobs#cleanup
                  - id: parse
                    function: io.tally.runner.DefinitionsFileTest$Jobs#parse
                    dependsOn: [fetch]
                """);
        int before = cleanups.get();
        Runner runner = track(runner().definitions(file).build());

        Definition fetch = runner.definition("fetch").orElseThrow();
        assertThat(fetch.timeout()).contains(Duration.ofMinutes(10));
        assertThat(fetch.version()).isEqualTo("2");
        Build parse = runner.build("parse", BuildOptions.defaults().buildDependencies(true))
                .await();
        assertThat(parse.state()).isEqualTo(JobState.SUCCEEDED);
        assertThat(parse.result(Integer.class)).contains(42);
        assertThat(cleanups.get() - before).isEqualTo(1);
    }

    @Test
    void aJsonFileWorksTooAndTyposFailAtStartUp() throws Exception {
        Path ok = dir.resolve("jobs.json");
        Files.writeString(ok, """
                {"definitions": [{"id": "fetch", "function": "io.tally.runner.DefinitionsFileTest$Jobs#fetch",
                                  "params": {"n": 1}}]}
                """);
        assertThat(track(runner().definitions(ok).build())
                        .build("fetch")
                        .await()
                        .result(Integer.class))
                .contains(1);

        Path typo = dir.resolve("typo.json");
        Files.writeString(typo, """
                {"definitions": [{"id": "x", "function": "io.tally.runner.DefinitionsFileTest$Jobs#fecth"}]}
                """);
        assertThatThrownBy(() -> runner().definitions(typo))
                .isInstanceOf(InvalidInputException.class)
                .hasMessageContaining("no public method fecth");
    }

    @Test
    void badMapReduceSettingsInAFileAreInvalidInputNamingTheFile() throws Exception {
        for (String setting : new String[] {"maxAttempts: 0", "toleratedFailures: -1"}) {
            Path file = dir.resolve("mr.yaml");
            Files.writeString(file, """
                    mapReduces:
                      - name: tiles
                        part: io.tally.runner.DefinitionsFileTest$Jobs#cleanup
                        reduce: io.tally.runner.DefinitionsFileTest$Jobs#cleanup
                        %s
                    """.formatted(setting));
            String option = setting.substring(0, setting.indexOf(':'));
            assertThatThrownBy(() -> runner().definitions(file))
                    .isInstanceOfSatisfying(
                            InvalidInputException.class,
                            e -> assertThat(e.field()).isEqualTo("mapReduces"))
                    .hasMessageContaining("tiles in " + file)
                    .hasMessageContaining(option + " must ");
        }
    }
}

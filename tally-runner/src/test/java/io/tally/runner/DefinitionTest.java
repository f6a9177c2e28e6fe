package io.tally.runner;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.tally.InvalidInputException;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;

class DefinitionTest extends RunnerTestSupport {
    private static final BuildFunction NOP = ctx -> null;

    @Test
    void aCycleIsRejectedByTheDefinitionThatClosesIt() {
        Runner.Builder b =
                runner().define("A", NOP, Definition.dependsOn("C")).define("B", NOP, Definition.dependsOn("A"));

        assertThatThrownBy(() -> b.define("C", NOP, Definition.dependsOn("B")))
                .isInstanceOf(InvalidInputException.class)
                .hasMessageContaining("dependency cycle: ")
                .hasMessageContaining("A → C → B → A");
        // The rejected definition is not kept: defining C without the cycle works.
        Runner r = track(b.define("C", NOP).build());
        assertThat(r.definitions()).extracting(Definition::id).containsExactly("C", "A", "B");
    }

    @Test
    void aDefinitionCannotDependOnItself() {
        assertThatThrownBy(() -> runner().define("A", NOP, Definition.dependsOn("A")))
                .isInstanceOf(InvalidInputException.class)
                .hasMessageContaining("cannot depend on itself");
    }

    @Test
    void unknownDependenciesAndDuplicateIdsAreRejected() {
        assertThatThrownBy(() ->
                        runner().define("A", NOP, Definition.dependsOn("nope")).build())
                .isInstanceOf(InvalidInputException.class)
                .hasMessageContaining("depends on unknown definition nope");
        assertThatThrownBy(() -> runner().define("A", NOP).define("A", NOP))
                .isInstanceOf(InvalidInputException.class)
                .hasMessageContaining("already defined");
        assertThatThrownBy(() -> runner().define("has space", NOP))
                .isInstanceOf(InvalidInputException.class)
                .hasMessageStartingWith("id: ");
    }

    @Test
    void aDefinitionMadeOnItsOwnIsDefinedWithTheSameChecks() {
        Definition base = Definition.of("base", NOP, Definition.options().title("Base"));
        Definition top = Definition.of("top", NOP, Definition.dependsOn("base"));
        assertThatThrownBy(() -> Definition.of("bad id", NOP, Definition.options()))
                .isInstanceOf(InvalidInputException.class)
                .hasMessageStartingWith("id: ");
        assertThatThrownBy(() -> Definition.of("self", NOP, Definition.dependsOn("self")))
                .isInstanceOf(InvalidInputException.class)
                .hasMessageContaining("cannot depend on itself");
        assertThatThrownBy(() -> runner().define(base).define(base))
                .isInstanceOf(InvalidInputException.class)
                .hasMessageContaining("already defined");

        Runner r = track(runner().define(top).define(base).build());
        assertThat(r.definitions()).extracting(Definition::id).containsExactly("base", "top");
        assertThat(r.definition("base").orElseThrow().title()).isEqualTo("Base");
    }

    @Test
    void optionsAreKept() {
        Runner r = track(runner().define("base", NOP)
                .define(
                        "x",
                        NOP,
                        Definition.dependsOn("base")
                                .params(Map.of("url", "https://example.com", "n", 3))
                                .title("The X job")
                                .tags("etl", "nightly")
                                .timeout(Duration.ofMinutes(5))
                                .version("7")
                                .cleanup(ctx -> {}))
                .build());

        Definition x = r.definition("x").orElseThrow();
        assertThat(x.dependencies()).containsExactly("base");
        assertThat(x.params()).containsEntry("url", "https://example.com").containsEntry("n", 3);
        assertThat(x.title()).isEqualTo("The X job");
        assertThat(x.tags()).containsExactlyInAnyOrder("etl", "nightly");
        assertThat(x.timeout()).contains(Duration.ofMinutes(5));
        assertThat(x.version()).isEqualTo("7");
        assertThat(x.cleanup()).isPresent();
        assertThat(r.definition("base").orElseThrow().title()).isEqualTo("base");
        assertThat(r.dependentsOf("base")).containsExactly("x");
    }

    @Test
    void parametersMustBeJson() {
        assertThatThrownBy(() -> Definition.options().param("self", new Object() {
                    @SuppressWarnings("unused")
                    public Object getMe() {
                        throw new IllegalStateException("not JSON");
                    }
                }))
                .isInstanceOf(InvalidInputException.class)
                .hasMessageStartingWith("params: ");
    }
}

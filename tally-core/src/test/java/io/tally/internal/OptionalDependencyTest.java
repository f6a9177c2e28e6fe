package io.tally.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatNoException;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class OptionalDependencyTest {
    private static final OptionalDependency MISSING =
            OptionalDependency.of("the frobnicator", "com.example.missing.Frobnicator", "com.example:frobnicator");

    @Test
    void aMissingDependencyIsNamedWithTheArtifactToAdd() {
        assertThat(MISSING.present(OptionalDependencyTest.class)).isFalse();
        assertThat(MISSING.missingMessage())
                .isEqualTo("the frobnicator needs com.example.missing.Frobnicator, which is not on the class path:"
                        + " add the Maven artifact com.example:frobnicator");
        assertThat(MISSING.orElse("turn it off").missingMessage()).endsWith("com.example:frobnicator, or turn it off");
        assertThatThrownBy(() -> MISSING.require(OptionalDependencyTest.class, IllegalStateException::new))
                .isInstanceOf(IllegalStateException.class)
                .hasMessage(MISSING.missingMessage());
    }

    @Test
    void aPresentDependencyPasses() {
        OptionalDependency jackson = OptionalDependency.of(
                "JSON", "com.fasterxml.jackson.databind.ObjectMapper", "com.fasterxml.jackson.core:jackson-databind");
        assertThat(jackson.present(OptionalDependencyTest.class)).isTrue();
        assertThatNoException()
                .isThrownBy(() -> jackson.require(OptionalDependencyTest.class, IllegalStateException::new));
    }
}

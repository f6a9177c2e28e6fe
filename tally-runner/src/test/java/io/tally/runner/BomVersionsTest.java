package io.tally.runner;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * tally-bom manages the versions of the runner's optional dependencies (jackson-dataformat-yaml, lettuce-core, amqp-client,
 * jnats), so
 * that the dependency a missing-dependency message names can be added without a version. The BOM has no parent, so it
 * repeats the build's versions: they must stay the ones the runner is built and tested with.
 */
class BomVersionsTest {
    private static String property(Path pom, String name) throws Exception {
        Matcher m = Pattern.compile("<" + Pattern.quote(name) + ">([^<]+)</").matcher(Files.readString(pom));
        assertThat(m.find()).as(name + " in " + pom).isTrue();
        return m.group(1).trim();
    }

    @Test
    void theBomManagesTheRunnersOptionalDependenciesAtTheBuildsVersions() throws Exception {
        Path root = Path.of("..").toAbsolutePath().normalize();
        Path bom = root.resolve("tally-bom/pom.xml");
        Path parent = root.resolve("pom.xml");
        for (String name : new String[] {
            "jackson.version", "lettuce.version", "amqp-client.version", "jnats.version", "awssdk.version"
        }) {
            assertThat(property(bom, name)).as(name).isEqualTo(property(parent, name));
        }
    }
}

package io.tally.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.tally.server.JobJson;
import java.io.File;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Runs {@code scripts/cli-worker-example.sh} against a temporary SQLite file: each {@code tally} call is a process of
 * its own, as in a shell worker. The shaded jar is made after the tests, so {@code TALLY} runs the CLI's main class on
 * this test's class path.
 */
class CliWorkerScriptTest {
    @TempDir
    Path dir;

    @Test
    void a_shell_script_does_a_whole_job_and_a_watchbot_job_with_the_cli_alone() throws Exception {
        Path script = Path.of("..", "scripts", "cli-worker-example.sh")
                .toAbsolutePath()
                .normalize();
        assertThat(script).exists();
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        String tally = java + " -XX:TieredStopAtLevel=1 -XX:+UseSerialGC -cp "
                + System.getProperty("java.class.path") + " -Dslf4j.provider=io.tally.cli.CliLogProvider "
                + TallyCli.class.getName();
        assertThat(tally).doesNotContain(" " + File.pathSeparator); // the class path is one word for the script
        ProcessBuilder pb = new ProcessBuilder("bash", script.toString(), "sqlite:" + dir.resolve("jobs.db"));
        pb.environment().put("TALLY", tally);
        pb.redirectError(dir.resolve("stderr.txt").toFile());
        Process p = pb.start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor(5, TimeUnit.MINUTES)).isTrue();
        String err = Files.readString(dir.resolve("stderr.txt"));
        assertThat(p.exitValue()).as(err).isZero();
        assertThat(err).doesNotContain("TALLY_CAPTURED").doesNotContain("Exception");

        List<String> lines = out.strip().lines().toList();
        assertThat(lines).hasSize(2);
        JsonNode job = JobJson.MAPPER.readTree(lines.get(0));
        assertThat(job.get("state").asText()).isEqualTo("SUCCEEDED");
        assertThat(job.get("succeeded").asLong()).isEqualTo(3);
        assertThat(job.get("timeout").asText()).isEqualTo("PT10M");
        assertThat(job.get("result").get("rows").asInt()).isEqualTo(300);
        assertThat(job.get("message").asText()).isEqualTo("batch 3 of 3");
        assertThat(job.get("logs")).hasSize(3);
        assertThat(job.get("logs").get(2).get("message").asText()).isEqualTo("imported batch 3");

        JsonNode mr = JobJson.MAPPER.readTree(lines.get(1));
        assertThat(mr.get("state").asText()).isEqualTo("SUCCEEDED");
        assertThat(mr.get("parts").asInt()).isEqualTo(3);
        assertThat(mr.get("settled").asBoolean()).isTrue();
        assertThat(mr.get("reduce").get("state").asText()).isEqualTo("SUCCEEDED");
        assertThat(mr.get("reduce").get("result").get("sum").asInt()).isEqualTo(30);
        assertThat(mr.get("logs")).hasSize(3);
        assertThat(mr.get("logs").get(0).get("level").asText()).isEqualTo("RESULT");
    }
}

package io.tally.examples;

import static org.assertj.core.api.Assertions.assertThat;

import io.tally.Tally;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/** The README's examples keep working and print what the README says. */
class QuickStartTest {
    @Test
    void theSeedExamplesRunAndPrintTheirResults() throws Exception {
        ByteArrayOutputStream buffer = new ByteArrayOutputStream();
        try (Tally tally = Tally.open("memory:");
                PrintStream out = new PrintStream(buffer, true, StandardCharsets.UTF_8)) {
            new QuickStart(tally, out).runAll();
        }
        String printed = buffer.toString(StandardCharsets.UTF_8);
        assertThat(printed)
                .contains("progress: SUCCESS=1 FAILURE=1 PENDING=8 (20%)")
                .contains("detailed progress: {SUCCESS=[foo, success item], FAILURE=[failed item]}")
                .contains("finished with data: some data to store")
                .contains("pending parts: [], state SUCCEEDED, settled true")
                .contains("reduce ran 1 time(s)")
                .containsPattern("SUCCEEDED percent=100 count=100000 total=100000")
                .contains("C SUCCEEDED with result 123")
                .contains("outdated after a new build of A: [B, C]");
    }
}

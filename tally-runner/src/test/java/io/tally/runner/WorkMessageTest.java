package io.tally.runner;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Map;
import org.junit.jupiter.api.Test;

/** The wire format every transport carries. */
class WorkMessageTest {
    @Test
    void aMapMessageCarriesThePartsPayloadWithJobIdAndPartId() {
        WorkMessage m = WorkMessage.map("tiles", "job-1", 7, Map.of("x", 3, "jobId", "job-1", "partId", 7));

        String json = m.toJson();

        assertThat(RunnerJson.tree(json))
                .isEqualTo(RunnerJson.tree("{\"kind\":\"map\",\"name\":\"tiles\",\"jobId\":\"job-1\",\"part\":7,"
                        + "\"attempt\":1,\"payload\":{\"x\":3,\"jobId\":\"job-1\",\"partId\":7}}"));
        assertThat(WorkMessage.fromJson(json)).isEqualTo(m);
        assertThat(WorkMessage.fromJson(json).redelivery().withAttempt(5).payload())
                .isEqualTo(m.payload());
        assertThat(m.toString()).doesNotContain("\"x\"").contains("part=7", "with payload");
    }

    @Test
    void aMessageWithoutPayloadIsReadAsBefore() {
        WorkMessage m = WorkMessage.fromJson(
                "{\"kind\":\"map\",\"name\":\"tiles\",\"jobId\":\"job-1\",\"part\":7,\"attempt\":2}");

        assertThat(m).isEqualTo(new WorkMessage(WorkMessage.MAP, "tiles", "job-1", 7, 2));
        assertThat(m.payload()).isNull();
        assertThat(m.toJson()).doesNotContain("payload");
    }
}

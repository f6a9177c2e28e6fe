package io.tally.store;

import java.time.Duration;
import java.util.List;

/**
 * A validated job to create: what {@link io.tally.JobSpec} becomes once the core checked it and gave it an id. Stores
 * write it as given, in one atomic step together with its parts.
 *
 * @param id the job id, valid and unique unless the store says otherwise
 * @param name the name
 * @param scope nullable
 * @param parent nullable
 * @param metadataJson JSON object text, never null
 * @param total amount of work (the number of parts for a job with parts)
 * @param start true to create it RUNNING
 * @param partPayloads JSON object text of each part, in part order (empty for a job without parts)
 * @param toleratedFailures failed parts that still let the job succeed
 * @param timeout nullable
 * @param heartbeat nullable
 * @param retainFor nullable
 * @param message initial status line, nullable
 */
public record NewJob(
        String id,
        String name,
        String scope,
        String parent,
        String metadataJson,
        long total,
        boolean start,
        List<String> partPayloads,
        int toleratedFailures,
        Duration timeout,
        Duration heartbeat,
        Duration retainFor,
        String message) {
    /** Copies the part list. */
    public NewJob {
        partPayloads = List.copyOf(partPayloads);
    }
}

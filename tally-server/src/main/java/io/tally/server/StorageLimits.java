package io.tally.server;

/**
 * What one request may make the store hold, bounded by what is stored rather than by the request's size alone: a part
 * is a row or entry of its own (a 1 MiB body of empty parts once grew a SQLite file by 151 MiB), an item too, and
 * metadata is kept with the job for as long as it lives.
 *
 * @param maxParts parts of a job created over HTTP
 * @param maxItemsPerRequest keyed items in one progress request
 * @param maxMetadataBytes bytes of a job's metadata as JSON
 */
record StorageLimits(int maxParts, int maxItemsPerRequest, int maxMetadataBytes) {
    /** The defaults: 10,000 parts, 10,000 items, 64 KiB of metadata (the most the core takes). */
    static final StorageLimits DEFAULTS =
            new StorageLimits(10_000, 10_000, io.tally.internal.Validation.MAX_JSON_BYTES);
}

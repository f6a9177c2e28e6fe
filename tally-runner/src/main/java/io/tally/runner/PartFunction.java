package io.tally.runner;

/**
 * The map side of a map-reduce job: runs once per delivered part and returns the part's result (JSON-serializable,
 * at most 64 KiB), kept for the reduce. It may run more than once for one part (redeliveries), so it should be
 * idempotent; only one result per part reaches the reduce.
 */
@FunctionalInterface
public interface PartFunction {
    /**
     * @param ctx the part's payload, number and logger
     * @return the part's result
     * @throws Exception to fail this delivery (see {@link MapReduceOptions})
     */
    Object run(PartContext ctx) throws Exception;
}

package io.tally.runner;

/** The reduce side of a map-reduce job: runs exactly once, when the last part is done, with every part's result. */
@FunctionalInterface
public interface ReduceFunction {
    /**
     * @param ctx the part results
     * @return the job's result (JSON-serializable), stored on the reduce job
     * @throws Exception to fail the reduce job
     */
    Object reduce(ReduceContext ctx) throws Exception;
}

package io.tally.store;

import java.time.Clock;

/**
 * Opens stores by URL; found through {@link java.util.ServiceLoader}, so adding a store module to the class path makes
 * its scheme available to {@code Tally.open(url)}.
 */
public interface JobStoreProvider {
    /** @return true if this provider opens {@code url} (usually by its scheme) */
    boolean supports(String url);

    /** @return the URL schemes served, for error messages ({@code memory}, {@code sqlite}, …) */
    java.util.List<String> schemes();

    /**
     * @param url the store URL
     * @param clock the clock the store takes every time from
     * @return an open store
     * @throws io.tally.InvalidInputException if the URL is malformed
     * @throws io.tally.StoreUnavailableException if the store cannot be reached
     */
    JobStore open(String url, Clock clock);
}

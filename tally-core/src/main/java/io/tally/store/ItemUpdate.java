package io.tally.store;

import io.tally.Outcome;

/**
 * The outcome of one keyed item. Recording the same key again with the same outcome changes nothing; with the other
 * outcome it moves the item (and the counters) to that outcome.
 *
 * @param key the item key
 * @param outcome its outcome
 * @param reason why it failed, nullable
 */
public record ItemUpdate(String key, Outcome outcome, String reason) {}

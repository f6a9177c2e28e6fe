package io.tally.store;

import io.tally.Outcome;

/**
 * A recorded item.
 *
 * @param key the item key
 * @param outcome its current outcome
 * @param reason why it failed, nullable
 */
public record StoredItem(String key, Outcome outcome, String reason) {}

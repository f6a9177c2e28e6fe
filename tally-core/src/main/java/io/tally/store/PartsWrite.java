package io.tally.store;

import java.util.List;

/**
 * The part outcomes of one {@link JobStore#recordParts} call, applied together in one step.
 *
 * @param parts the outcomes, in the caller's order
 */
public record PartsWrite(List<PartUpdate> parts) implements JobWrite {
    /** Copies the list. */
    public PartsWrite {
        parts = List.copyOf(parts);
    }
}

package io.tally.redis;

import io.tally.store.PartStatus;

/**
 * The parts bitfield ({@code {ns}:parts:ID}): two bits per part, part {@code p} at bit offset {@code 2p} (Redis
 * {@code BITFIELD ... u2 #p}: most significant bit first), 0 = pending, 1 = succeeded, 2 = failed. A missing key or a
 * byte past the end of the string reads as 0: every part starts pending without being written.
 */
final class PartBits {
    private PartBits() {}

    /** @return the status of the part at {@code index} (counted from the slice's first part) of a slice of bytes */
    static PartStatus status(byte[] slice, int index) {
        int at = index >> 2;
        if (at >= slice.length) {
            return PartStatus.PENDING;
        }
        int shift = 6 - 2 * (index & 3);
        return switch ((slice[at] >> shift) & 3) {
            case 0 -> PartStatus.PENDING;
            case 1 -> PartStatus.SUCCEEDED;
            case 2 -> PartStatus.FAILED;
            default -> throw new IllegalStateException("parts bitfield holds 3 at part index " + index);
        };
    }
}

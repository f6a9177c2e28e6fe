package io.tally.internal;

import java.security.SecureRandom;
import java.time.Clock;
import java.util.UUID;

/**
 * UUIDv7 (RFC 9562) ids: 48 bits of Unix milliseconds from the injected clock, then 74 random bits. Time-ordered, so
 * ids sort by creation; random enough that independent processes never collide.
 */
public final class Ids {
    private static final SecureRandom RANDOM = new SecureRandom();

    private Ids() {}

    /** @return a new UUIDv7 string for the time of {@code clock} */
    public static String uuidV7(Clock clock) {
        byte[] r = new byte[10];
        RANDOM.nextBytes(r);
        long millis = clock.millis();
        long msb = (millis << 16) | 0x7000L | ((r[0] & 0x0FL) << 8) | (r[1] & 0xFFL);
        long lsb = 0x8000000000000000L | ((r[2] & 0x3FL) << 56);
        for (int i = 3; i < 10; i++) {
            lsb |= (r[i] & 0xFFL) << (8 * (9 - i));
        }
        return new UUID(msb, lsb).toString();
    }
}

package io.tally.runner;

import java.security.SecureRandom;
import java.time.Clock;
import java.util.UUID;

/**
 * Monotonic UUIDv7 build ids (RFC 9562, method 3: a counter in {@code rand_a}). Stores list jobs newest first by
 * {@code (createdAt, id)}; with a clock that does not move between two builds (a test clock, or two builds in one
 * millisecond), random ids would order them by chance and "the latest build" would be wrong. These ids keep the order
 * in which this process created them.
 */
final class BuildIds {
    private static final SecureRandom RANDOM = new SecureRandom();
    private static long lastMillis;
    private static int counter;

    private BuildIds() {}

    static synchronized String next(Clock clock) {
        long millis = clock.millis();
        if (millis > lastMillis) {
            lastMillis = millis;
            counter = RANDOM.nextInt(1 << 10); // leave room for 3,000+ ids in the same millisecond
        } else if (++counter >= (1 << 12)) {
            lastMillis++; // counter overflow: borrow the next millisecond, still monotonic
            counter = 0;
        }
        long msb = (lastMillis << 16) | 0x7000L | counter;
        long lsb = 0x8000000000000000L | (RANDOM.nextLong() & 0x3FFFFFFFFFFFFFFFL);
        return new UUID(msb, lsb).toString();
    }
}

package io.tally.spring;

import io.tally.Tally;
import io.tally.internal.Urls;
import java.util.Objects;
import org.springframework.boot.actuate.health.Health;
import org.springframework.boot.actuate.health.HealthIndicator;

/**
 * UP when the Tally's store answers one cheap read ({@link Tally#ping()}), DOWN with the reason when not. The details
 * never carry a password: the store URL and the error message are masked.
 */
public class TallyHealthIndicator implements HealthIndicator {
    private final Tally tally;
    private final String store;

    /**
     * @param tally the Tally to check
     * @param url the store URL to show (masked here), null to show none (a Tally the application built itself)
     * @throws NullPointerException if {@code tally} is null
     */
    public TallyHealthIndicator(Tally tally, String url) {
        this.tally = Objects.requireNonNull(tally, "tally");
        this.store = Urls.mask(url);
    }

    /** @return the store's health */
    @Override
    public Health health() {
        Health.Builder health;
        try {
            tally.ping();
            health = Health.up();
        } catch (RuntimeException e) {
            // Not Health.down(e): it shows the exception's message as it is, and a driver's may hold the URL.
            health = Health.down().withDetail("error", e.getClass().getSimpleName() + ": " + Urls.mask(e.getMessage()));
        }
        if (store != null) {
            health.withDetail("store", store);
        }
        return health.build();
    }
}

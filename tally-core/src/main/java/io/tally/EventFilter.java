package io.tally;

import io.tally.internal.Validation;
import io.tally.store.StoreEvent;
import java.util.Objects;
import java.util.function.Predicate;

/** Which events a subscription receives. */
public final class EventFilter {
    private final String description;
    private final Predicate<StoreEvent> test;

    private EventFilter(String description, Predicate<StoreEvent> test) {
        this.description = description;
        this.test = test;
    }

    /** @return every event */
    public static EventFilter all() {
        return new EventFilter("all", e -> true);
    }

    /** @return events of one job */
    public static EventFilter job(String id) {
        Validation.id("job", id);
        return new EventFilter("job " + id, e -> e.record().id().equals(id));
    }

    /** @return events of jobs in one scope */
    public static EventFilter scope(String scope) {
        Validation.text("scope", scope, Validation.MAX_NAME);
        return new EventFilter("scope " + scope, e -> Objects.equals(e.record().scope(), scope));
    }

    /** @return events of the children of one job */
    public static EventFilter parent(String parent) {
        Validation.id("parent", parent);
        return new EventFilter(
                "parent " + parent, e -> Objects.equals(e.record().parent(), parent));
    }

    /** @return true if the event passes */
    boolean accepts(StoreEvent e) {
        return test.test(e);
    }

    @Override
    public String toString() {
        return description;
    }
}

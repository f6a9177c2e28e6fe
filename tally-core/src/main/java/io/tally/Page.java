package io.tally;

import java.util.List;
import java.util.Optional;
import java.util.function.Function;

/**
 * One page of a keyset-paginated listing.
 *
 * @param items the page's items, in listing order
 * @param next the cursor of the next page, empty on the last page
 * @param <T> item type
 */
public record Page<T>(List<T> items, Optional<String> next) {
    /** Copies the items. */
    public Page {
        items = List.copyOf(items);
    }

    /** @return a page with each item mapped */
    public <R> Page<R> map(Function<? super T, ? extends R> f) {
        return new Page<>(items.stream().<R>map(f).toList(), next);
    }
}

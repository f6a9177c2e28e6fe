package io.tally.redis;

import io.lettuce.core.codec.StringCodec;
import io.lettuce.core.output.CommandOutput;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;

/**
 * A nested reply (arrays of bulk strings, integers and nils) kept as bytes: bulk strings become {@code byte[]}, not
 * {@code String}. Lettuce fills an output on its one event-loop thread, which for the group commit also encodes every
 * batch; leaving the UTF-8 decoding to the calling threads ({@link #strings}) takes that work off the one thread all
 * callers share.
 */
final class RawReplyOutput extends CommandOutput<String, String, List<Object>> {
    /** Arrays still being filled, innermost first. */
    private final ArrayDeque<List<Object>> open = new ArrayDeque<>();
    /** How many elements each of them still expects, in the same order. */
    private final ArrayDeque<int[]> missing = new ArrayDeque<>();

    /**
     * Marks the threads that decode the scripts' replies: the connections' I/O threads, which also run the callbacks
     * chained to the futures of asynchronous calls. A blocking call on one would wait for a reply only it can deliver.
     */
    private static final ThreadLocal<Boolean> IO_THREAD = ThreadLocal.withInitial(() -> false);

    /** @return whether the calling thread has decoded a script's reply: a connection's I/O thread */
    static boolean onIoThread() {
        return IO_THREAD.get();
    }

    RawReplyOutput() {
        super(StringCodec.UTF8, null);
    }

    @Override
    public void multi(int count) {
        if (open.isEmpty()) {
            IO_THREAD.set(true); // (every script's reply is an array)
        }
        List<Object> array = new ArrayList<>(Math.max(count, 0));
        if (open.isEmpty()) {
            output = array;
        } else {
            add(array);
        }
        if (count > 0) {
            open.push(array);
            missing.push(new int[] {count});
        }
    }

    @Override
    public void set(ByteBuffer bytes) {
        if (bytes == null) {
            add(null);
            return;
        }
        byte[] copy = new byte[bytes.remaining()];
        bytes.get(copy);
        add(copy);
    }

    @Override
    public void set(long integer) {
        add(integer);
    }

    /**
     * Adds an element to the innermost open array and closes that array once it holds all its elements. (A nested
     * array counts as an element of its parent when it opens, so closing it never completes the parent.)
     */
    private void add(Object element) {
        if (open.isEmpty()) {
            // A reply that is not an array (a script bug): kept as a one-element list so the caller can say so.
            List<Object> single = new ArrayList<>(1);
            single.add(element);
            output = single;
            return;
        }
        open.peek().add(element);
        if (--missing.peek()[0] == 0) {
            open.pop();
            missing.pop();
        }
    }

    /** @return a reply as filled by this output with its byte arrays decoded as UTF-8 strings (nested lists too) */
    static List<Object> strings(List<?> raw) {
        List<Object> out = new ArrayList<>(raw.size());
        for (Object o : raw) {
            if (o instanceof byte[] b) {
                out.add(new String(b, StandardCharsets.UTF_8));
            } else if (o instanceof List<?> l) {
                out.add(strings(l));
            } else {
                out.add(o);
            }
        }
        return out;
    }
}

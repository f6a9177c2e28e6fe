package io.tally.redis;

import io.lettuce.core.codec.StringCodec;
import io.lettuce.core.protocol.CommandArgs;
import io.lettuce.core.protocol.CommandType;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;

/**
 * The store's operations as functions of one Redis Function library (Redis 7.0 and later), read from
 * {@code src/main/resources/io/tally/redis/lua}: {@code lib.lua}'s helpers, then one file per function, which registers
 * it ({@code create.lua}: {@code create}). The library is loaded once per server ({@code FUNCTION LOAD}): its helpers
 * are defined then, not on every call as a script's are.
 *
 * <p>The library and its functions carry the library's version, the first 12 hex digits of the SHA-1 of its source
 * ({@code tally_<version>}, {@code tally_<version>_write}): processes of two Tally versions on one server call their
 * own code, each loading its library when it is missing. A server that lost it (a restart without persistence, {@code
 * FUNCTION FLUSH}) answers "Function not found"; the call loads the library and is sent once more.
 *
 * <p>Each store operation calls one function (record and recordParts both call {@code write}, and delete and the
 * retention expiry {@code delete}); the README's "Functions" table says which and how. {@link FunctionRunner} sends
 * the calls.
 */
enum Functions {
    CREATE(true),
    FIND(true),
    WRITE(false),
    TRANSITION(false),
    HEARTBEAT(true),
    QUERY(true),
    COUNT(true),
    ITEMS(true),
    PARTS(true),
    PAYLOAD(true),
    APPEND_LOGS(false),
    LOGS(true),
    SWEEP(true),
    EXPIRE(false),
    DELETE(false);

    /** The library's source as {@code FUNCTION LOAD} takes it. */
    static final String LIBRARY;
    /** The library's version: the first 12 hex digits of the SHA-1 of its source without the header. */
    static final String VERSION;

    static {
        StringBuilder body = new StringBuilder(read("lib"));
        for (Functions f : values()) {
            body.append('\n').append(read(f.file()));
        }
        VERSION = sha1(body.toString()).substring(0, 12);
        LIBRARY = "#!lua name=tally_" + VERSION + "\nlocal VERSION = '" + VERSION + "'\n" + body;
    }

    /**
     * Whether the function may run twice for one call: a re-run gives the same answer and changes nothing more
     * (reads; create and heartbeat by create's token or by what they write). A call of any other is never re-sent
     * after a lost connection (see {@link ClientSettings#notReplayed}) and is retried only when it never left the
     * client ({@link FunctionRunner}). {@code write} carries record calls, so it is not idempotent as a whole; a
     * recordParts call, idempotent by its token, says so itself ({@link FunctionRunner#write}).
     */
    final boolean idempotent;

    Functions(boolean idempotent) {
        this.idempotent = idempotent;
    }

    private String file() {
        return name().toLowerCase(Locale.ROOT);
    }

    /** @return the function's name in Redis: {@code tally_<version>_<file>} */
    String fullName() {
        return "tally_" + VERSION + "_" + file();
    }

    /** @return the arguments of an FCALL of this function so far: its name; add the key count, keys and arguments */
    CommandArgs<String, String> args() {
        return new CommandArgs<>(StringCodec.UTF8).add(fullName());
    }

    /**
     * @return the arguments of an FCALL of this function with {@code keys} (given as keys: a Cluster client sends the
     *     call to the master of the first one's slot) and {@code args}
     */
    CommandArgs<String, String> args(List<String> keys, List<String> args) {
        CommandArgs<String, String> a = args().add(keys.size());
        keys.forEach(a::addKey);
        args.forEach(a::add);
        return a;
    }

    /**
     * Sends {@code FCALL} with {@code args} (from {@link #args()}); when the server does not have the library (the
     * function did not run) loads it and sends the call once more. The reply comes as filled by {@link
     * RawReplyOutput}: bulk strings as bytes, decoded by the caller.
     */
    CompletionStage<List<Object>> call(StoreConnection c, CommandArgs<String, String> args) {
        return dispatch(c, args)
                .handle((reply, e) -> e == null
                        ? CompletableFuture.completedFuture(reply)
                        : isMissing(e)
                                ? load(c).thenCompose(loaded -> dispatch(c, args))
                                : CompletableFuture.<List<Object>>failedFuture(e))
                .thenCompose(stage -> stage);
    }

    /**
     * Loads the library (replacing one of the same name: the same source, as the name carries its hash), on every
     * master of a Cluster.
     */
    static CompletionStage<?> load(StoreConnection c) {
        return c.loadLibrary(LIBRARY);
    }

    /**
     * Sends {@code FCALL} with {@code args} once: a server without the library fails it ({@link #isMissing}), and the
     * caller loads it ({@link #load}) and sends again, in an order of its own ({@link WriteBatcher}).
     */
    static CompletionStage<List<Object>> dispatch(StoreConnection c, CommandArgs<String, String> args) {
        return c.async().dispatch(CommandType.FCALL, new RawReplyOutput(), args);
    }

    /** @return whether {@code e} says the server does not have the library (the function did not run) */
    static boolean isMissing(Throwable e) {
        while (e instanceof CompletionException && e.getCause() != null) {
            e = e.getCause();
        }
        return e.getMessage() != null && e.getMessage().contains("Function not found");
    }

    private static String read(String name) {
        String path = "/io/tally/redis/lua/" + name + ".lua";
        try (InputStream in = Functions.class.getResourceAsStream(path)) {
            if (in == null) {
                throw new IllegalStateException("missing Lua file " + path);
            }
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new IllegalStateException("cannot read Lua file " + path, e);
        }
    }

    private static String sha1(String text) {
        try {
            MessageDigest md = MessageDigest.getInstance("SHA-1");
            return HexFormat.of().formatHex(md.digest(text.getBytes(StandardCharsets.UTF_8)));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}

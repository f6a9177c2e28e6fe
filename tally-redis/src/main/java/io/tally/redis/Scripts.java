package io.tally.redis;

import io.lettuce.core.api.StatefulRedisConnection;
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
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;

/**
 * The Lua scripts of the store, read from {@code src/main/resources/io/tally/redis/lua}: each is base.lua + lib.lua + its
 * own, except hot.lua, which runs on every hot write and gets base.lua only.
 */
enum Scripts {
    CREATE("create"),
    FIND("find"),
    WRITE("write"),
    HOT("hot", "base"),
    TRANSITION("transition"),
    HEARTBEAT("heartbeat"),
    QUERY("query"),
    COUNT("count"),
    ITEMS("items"),
    PARTS("parts"),
    PAYLOAD("payload"),
    APPEND_LOGS("append_logs"),
    LOGS("logs"),
    SWEEP("sweep"),
    EXPIRE("expire"),
    DELETE("delete");

    private final String text;
    private final String sha;

    Scripts(String name) {
        this(name, "base", "lib");
    }

    /** @param helpers the files prepended to the script, in order */
    Scripts(String name, String... helpers) {
        StringBuilder text = new StringBuilder();
        for (String h : helpers) {
            text.append(read(h)).append('\n');
        }
        this.text = text.append(read(name)).toString();
        this.sha = sha1(this.text);
    }

    /** @return the arguments of an EVALSHA of this script so far: its SHA-1; add the key count, keys and arguments */
    CommandArgs<String, String> args() {
        return new CommandArgs<>(StringCodec.UTF8).add(sha);
    }

    /**
     * Sends {@code EVALSHA} with {@code args} (from {@link #args()}); on {@code NOSCRIPT} (a flushed or restarted
     * server: the script did not run) loads the script and sends it once more. The reply comes as filled by
     * {@link RawReplyOutput}: bulk strings as bytes, decoded by the caller.
     */
    CompletionStage<List<Object>> run(StatefulRedisConnection<String, String> c, CommandArgs<String, String> args) {
        return dispatch(c, args)
                .handle((reply, e) -> e == null
                        ? CompletableFuture.completedFuture(reply)
                        : isNoScript(e)
                                ? c.async().scriptLoad(text).thenCompose(loaded -> dispatch(c, args))
                                : CompletableFuture.<List<Object>>failedFuture(e))
                .thenCompose(stage -> stage);
    }

    private static CompletionStage<List<Object>> dispatch(
            StatefulRedisConnection<String, String> c, CommandArgs<String, String> args) {
        return c.async().dispatch(CommandType.EVALSHA, new RawReplyOutput(), args);
    }

    private static boolean isNoScript(Throwable e) {
        while (e instanceof CompletionException && e.getCause() != null) {
            e = e.getCause();
        }
        return e.getMessage() != null && e.getMessage().startsWith("NOSCRIPT");
    }

    /** @return the script's source as sent by SCRIPT LOAD */
    String text() {
        return text;
    }

    /** @return its SHA-1, the EVALSHA handle */
    String sha() {
        return sha;
    }

    private static String read(String name) {
        String path = "/io/tally/redis/lua/" + name + ".lua";
        try (InputStream in = Scripts.class.getResourceAsStream(path)) {
            if (in == null) {
                throw new IllegalStateException("missing script " + path);
            }
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new IllegalStateException("cannot read script " + path, e);
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

package io.tally.redis;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;

/** The Lua scripts of the store, read from {@code src/main/resources/io/tally/redis/lua}: each is lib.lua + its own. */
enum Scripts {
    CREATE("create"),
    FIND("find"),
    WRITE("write"),
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
        this.text = read("lib") + "\n" + read(name);
        this.sha = sha1(text);
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

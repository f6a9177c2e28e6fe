package io.tally.redis;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.InputStream;
import java.lang.reflect.Field;
import java.lang.reflect.Modifier;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/** The argument layout is written twice, as Java constants and as Lua locals of write.lua: they must agree. */
class WriteArgsTest {
    @Test
    void everyOffsetHasTheSameNameAndValueInJavaAndInWriteLua() throws Exception {
        Map<String, Integer> java = new TreeMap<>();
        for (Field f : WriteArgs.class.getDeclaredFields()) {
            if (Modifier.isStatic(f.getModifiers()) && f.getType() == int.class) {
                f.setAccessible(true);
                java.put(f.getName(), f.getInt(null));
            }
        }
        Map<String, Integer> lua = new TreeMap<>();
        Matcher m =
                Pattern.compile("(?m)^\\s*local ([A-Z][A-Z_]*) = (\\d+)\\s*$").matcher(writeLua());
        while (m.find()) {
            lua.put(m.group(1), Integer.parseInt(m.group(2)));
        }
        assertThat(java).hasSizeGreaterThan(15);
        assertThat(lua).isEqualTo(java);
    }

    @Test
    void theKindLettersAreTheOnesWriteLuaTestsFor() throws IOException {
        String lua = writeLua();
        // write.lua tells kinds apart by comparing them as strings ('=' prefixes a call on the job of the call before).
        assertThat(lua)
                .contains("kind == 'i' or kind == '=i'")
                .contains("kind == 'p' or kind == '=p'")
                .contains("local parts = ARGV[at] == 'p'")
                .contains("SAME_JOB = {['=r'] = true, ['=i'] = true, ['=p'] = true}");
        assertThat(WriteArgs.ITEM).isEqualTo("i");
        assertThat(WriteArgs.PARTS).isEqualTo("p");
        assertThat(WriteArgs.SAME_JOB).isEqualTo("=");
        assertThat(WriteArgs.RECORD).isEqualTo("r");
    }

    private static String writeLua() throws IOException {
        try (InputStream in = WriteArgsTest.class.getResourceAsStream("/io/tally/redis/lua/write.lua")) {
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
    }
}

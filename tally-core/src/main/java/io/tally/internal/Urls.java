package io.tally.internal;

import java.util.regex.Pattern;

/** Store URLs in messages: passwords are never printed. */
public final class Urls {
    private static final Pattern USER_INFO = Pattern.compile("(://[^:/@?#]*):[^@/?#]*@");
    private static final Pattern PASSWORD_PARAM = Pattern.compile("(?i)(password=)[^&]*");

    private Urls() {}

    /** @return the URL with the password in its user info or a {@code password=} parameter replaced by {@code ***} */
    public static String mask(String url) {
        if (url == null) {
            return null;
        }
        String masked = USER_INFO.matcher(url).replaceAll("$1:***@");
        return PASSWORD_PARAM.matcher(masked).replaceAll("$1***");
    }
}

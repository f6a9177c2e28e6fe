package io.tally.cli;

import java.util.regex.Pattern;
import picocli.CommandLine;
import picocli.CommandLine.TypeConversionException;

/**
 * Reads every integer option and parameter ({@code int}, {@code long}) as the HTTP API reads one: ASCII digits with an
 * optional {@code -}, nothing else. picocli's own converters take {@code +1} and the digits of other scripts
 * ({@code １}, {@code ١}) as 1, which the API refuses; the CLI refuses them alike. A value past the type's range is
 * refused here too; the commands check their own ranges (a count, a part number) after.
 */
final class IntegerConverter {
    private static final Pattern ASCII_INTEGER = Pattern.compile("-?[0-9]{1,19}");

    private IntegerConverter() {}

    /** Registers the converters on {@code cmd} and the subcommands it has now (picocli copies them down once). */
    static void registerOn(CommandLine cmd) {
        cmd.registerConverter(Integer.class, v -> (int) parse(v, Integer.MIN_VALUE, Integer.MAX_VALUE));
        cmd.registerConverter(Integer.TYPE, v -> (int) parse(v, Integer.MIN_VALUE, Integer.MAX_VALUE));
        cmd.registerConverter(Long.class, v -> parse(v, Long.MIN_VALUE, Long.MAX_VALUE));
        cmd.registerConverter(Long.TYPE, v -> parse(v, Long.MIN_VALUE, Long.MAX_VALUE));
    }

    /** @return {@code value} as a number in {@code [min, max]} */
    static long parse(String value, long min, long max) {
        if (!ASCII_INTEGER.matcher(value).matches()) {
            throw new TypeConversionException("must be an integer in ASCII digits, was '" + shown(value) + "'");
        }
        try {
            long n = Long.parseLong(value);
            if (n >= min && n <= max) {
                return n;
            }
        } catch (NumberFormatException e) {
            // 19 digits past Long.MAX_VALUE: out of range, as below
        }
        throw new TypeConversionException("must be between " + min + " and " + max + ", was " + shown(value));
    }

    /** @return the value as it may be echoed: cut, and its control characters and lone surrogates made visible */
    private static String shown(String value) {
        String cut = value.length() > 40 ? value.substring(0, 40) + "…" : value;
        StringBuilder out = new StringBuilder();
        cut.codePoints().forEach(c -> {
            if (Character.isISOControl(c) || Character.getType(c) == Character.SURROGATE) {
                out.append(String.format("\\u%04x", c));
            } else {
                out.appendCodePoint(c);
            }
        });
        return out.toString();
    }
}

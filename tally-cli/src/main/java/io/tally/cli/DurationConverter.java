package io.tally.cli;

import java.math.BigDecimal;
import java.time.Duration;
import java.time.format.DateTimeParseException;
import java.util.Locale;
import java.util.regex.Pattern;
import picocli.CommandLine.ITypeConverter;
import picocli.CommandLine.TypeConversionException;

/**
 * Reads a duration option ({@code create --timeout}, {@code --heartbeat}, {@code --retain-for}): an ISO-8601 duration
 * ({@code PT30S}, {@code P1D}) as the HTTP API takes, a number of seconds ({@code 30}, {@code 1.5}) as the HTTP API
 * also takes, or a number with a unit ({@code 500ms}, {@code 30s}, {@code 5m}, {@code 2h}, {@code 7d}) because that
 * is what people type in a shell. Zero and negative durations are refused here, so a bad value is a usage error (exit
 * 2) before the store is opened.
 */
final class DurationConverter implements ITypeConverter<Duration> {
    /** A number as the HTTP API takes one: ASCII digits, a '-' (refused after as not positive), a decimal point. */
    private static final Pattern ASCII_NUMBER = Pattern.compile("-?[0-9]+(\\.[0-9]+)?");

    /** What every refusal says, so the user sees the accepted forms at once. */
    static final String FORMS = "a positive duration: PT30S, 30 (seconds), 500ms, 30s, 5m, 2h or 7d";

    @Override
    public Duration convert(String value) {
        Duration d = parse(value.strip());
        if (d == null) {
            throw new TypeConversionException("must be " + FORMS + ", was '" + value + "'");
        }
        if (d.isZero() || d.isNegative()) {
            throw new TypeConversionException("must be positive, was '" + value + "'");
        }
        return d;
    }

    /** @return the duration, or null when {@code s} is in none of the accepted forms */
    static Duration parse(String s) {
        String lower = s.toLowerCase(Locale.ROOT);
        if (lower.startsWith("p") || lower.startsWith("-p")) {
            try {
                return Duration.parse(s);
            } catch (DateTimeParseException e) {
                return null;
            }
        }
        String[][] units = {{"ms", "0.001"}, {"s", "1"}, {"m", "60"}, {"h", "3600"}, {"d", "86400"}};
        String number = lower;
        BigDecimal seconds = BigDecimal.ONE;
        for (String[] u : units) {
            if (lower.endsWith(u[0])) {
                number = lower.substring(0, lower.length() - u[0].length());
                seconds = new BigDecimal(u[1]);
                break;
            }
        }
        if (!ASCII_NUMBER.matcher(number.strip()).matches()) {
            return null; // BigDecimal would take '+1' and the digits of other scripts (١); the HTTP API does not
        }
        try {
            BigDecimal n = new BigDecimal(number.strip());
            // Whole milliseconds, as the stores keep time; more than a century is refused by JobSpec with its field.
            BigDecimal millis = n.multiply(seconds).movePointRight(3).setScale(0, java.math.RoundingMode.HALF_UP);
            if (millis.abs().compareTo(BigDecimal.valueOf(Long.MAX_VALUE / 2)) > 0) {
                return null;
            }
            return Duration.ofMillis(millis.longValueExact());
        } catch (NumberFormatException | ArithmeticException e) {
            return null;
        }
    }
}

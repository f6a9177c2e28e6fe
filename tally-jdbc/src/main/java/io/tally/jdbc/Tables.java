package io.tally.jdbc;

import java.util.regex.Pattern;

/** The table names of one store: an optional schema, then the prefix, then the table. */
final class Tables {
    private static final Pattern IDENT = Pattern.compile("[a-z_][a-z0-9_]{0,39}");

    final String schema;
    final String prefix;
    final String prefixQualified;
    final String jobs;
    final String items;
    final String parts;
    final String logs;
    final String schemaVersion;

    /**
     * @param schema a schema {@link #whyNot} accepts, or null for the search path
     * @param prefix a table prefix {@link #whyNot} accepts
     * @throws IllegalArgumentException if either is not: they are put into SQL as they are
     */
    Tables(String schema, String prefix) {
        checked("schema", schema);
        checked("tablePrefix", prefix);
        this.schema = schema;
        this.prefix = prefix;
        this.prefixQualified = (schema == null ? "" : schema + ".") + prefix;
        this.jobs = prefixQualified + "jobs";
        this.items = prefixQualified + "items";
        this.parts = prefixQualified + "parts";
        this.logs = prefixQualified + "logs";
        this.schemaVersion = prefixQualified + "schema_version";
    }

    /**
     * @param field {@code schema} or {@code tablePrefix} (which may also be empty)
     * @return null if {@code name} may be that (a lower-case SQL identifier, safe to put into SQL unquoted), else what
     *     is wrong with it
     */
    static String whyNot(String field, String name) {
        if (IDENT.matcher(name).matches() || (name.isEmpty() && field.equals("tablePrefix"))) {
            return null;
        }
        return "must match [a-z_][a-z0-9_]{0,39}, was '" + name + "'";
    }

    /**
     * @return {@code name}, checked by {@link #whyNot}; null stays null
     * @throws IllegalArgumentException if it is not accepted
     */
    static String checked(String field, String name) {
        String why = name == null ? null : whyNot(field, name);
        if (why != null) {
            throw new IllegalArgumentException(field + ": " + why);
        }
        return name;
    }
}

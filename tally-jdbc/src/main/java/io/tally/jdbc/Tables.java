package io.tally.jdbc;

import io.tally.InvalidInputException;
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

    Tables(String schema, String prefix) {
        if (schema != null && !IDENT.matcher(schema).matches()) {
            throw new InvalidInputException("schema", "must match [a-z_][a-z0-9_]{0,39}, was '" + schema + "'");
        }
        if (!prefix.isEmpty() && !IDENT.matcher(prefix).matches()) {
            throw new InvalidInputException("tablePrefix", "must match [a-z_][a-z0-9_]{0,39}, was '" + prefix + "'");
        }
        this.schema = schema;
        this.prefix = prefix;
        this.prefixQualified = (schema == null ? "" : schema + ".") + prefix;
        this.jobs = prefixQualified + "jobs";
        this.items = prefixQualified + "items";
        this.parts = prefixQualified + "parts";
        this.logs = prefixQualified + "logs";
        this.schemaVersion = prefixQualified + "schema_version";
    }
}

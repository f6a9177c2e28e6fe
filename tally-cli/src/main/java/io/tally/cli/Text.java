package io.tally.cli;

import io.tally.JobSnapshot;
import io.tally.JobState;
import io.tally.Progress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/** Human output: aligned tables and short numbers. */
final class Text {
    private Text() {}

    /** Renders rows as a table with columns padded to their widest cell. */
    static String table(List<String> header, List<List<String>> rows) {
        int[] w = new int[header.size()];
        List<List<String>> all = new ArrayList<>();
        all.add(header);
        all.addAll(rows);
        for (List<String> r : all) {
            for (int i = 0; i < r.size(); i++) {
                w[i] = Math.max(w[i], r.get(i).length());
            }
        }
        StringBuilder sb = new StringBuilder();
        for (List<String> r : all) {
            for (int i = 0; i < r.size(); i++) {
                sb.append(i == r.size() - 1 ? r.get(i) : pad(r.get(i), w[i] + 2));
            }
            sb.append('\n');
        }
        return sb.toString();
    }

    /**
     * @return {@code s} as one word for a POSIX shell: unchanged when it only holds characters no shell treats
     *     specially, else in single quotes
     */
    static String shellWord(String s) {
        if (!s.isEmpty() && s.matches("[A-Za-z0-9._:/@%+=,-]+")) {
            return s;
        }
        return "'" + s.replace("'", "'\\''") + "'";
    }

    static String pad(String s, int n) {
        return s.length() >= n ? s : s + " ".repeat(n - s.length());
    }

    static String clip(String s, int n) {
        String flat = s.replaceAll("\\p{Cntrl}", " ");
        return flat.length() <= n ? flat : flat.substring(0, n - 1) + "…";
    }

    static String progress(JobSnapshot s) {
        Progress p = s.progress();
        String done = p.done() + (p.total() > 0 ? "/" + p.total() : "");
        String pct = p.total() > 0 || s.state() == JobState.SUCCEEDED ? " " + percent(p.percent()) : "";
        return done + pct + (p.failed() > 0 ? " (" + p.failed() + " failed)" : "");
    }

    static String percent(double p) {
        return String.format("%.1f%%", p);
    }

    static String rate(double r) {
        return r <= 0 ? "-" : r >= 100 ? Math.round(r) + "/s" : String.format("%.2f/s", r);
    }

    static String eta(Optional<Duration> eta) {
        return eta.map(Text::duration).orElse("-");
    }

    static String duration(Duration d) {
        long s = Math.max(0, Math.round(d.toMillis() / 1000.0));
        if (s >= 3600) {
            return String.format("%dh%02dm", s / 3600, (s % 3600) / 60);
        }
        if (s >= 60) {
            return String.format("%dm%02ds", s / 60, s % 60);
        }
        return s + "s";
    }
}

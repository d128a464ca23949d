package io.meshbus.bench.hostile;

import io.meshbus.bench.Result;
import io.meshbus.bench.TextTable;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The figures of {@code hostile} as one table, a row per attack (the baseline first): connections the host held at
 * the peak, heap before / at the peak / after (MB; before and after are after a full collection, the peak with
 * garbage), resident memory (which holds the direct buffers too) before, at the peak and after, threads and file
 * descriptors before and after, the normal client's echo latency during the attack, its failed requests and /health
 * probes, what the host logged, and how long it took to be back to its level. What each attack saw on its own side
 * follows the table, then the host's figures and every warning.
 */
final class HostileTable {
    /** The figures in the table's columns; every other figure of an attack is listed below it. */
    private static final List<String> COLUMNS = List.of("duration", "held-peak", "heap-before", "heap-peak",
            "heap-after", "rss-before", "rss-peak", "rss-after", "threads-before", "threads-after", "fds-before",
            "fds-after", "echo-p50", "echo-p99", "echo-max", "echo-served", "echo-failed", "health-failed", "log",
            "recovered");

    private HostileTable() {
    }

    static String render(List<Result> results) {
        Map<String, Map<String, Result>> byAttack = new LinkedHashMap<>();
        for (Result r : results) {
            byAttack.computeIfAbsent(r.contender(), k -> new LinkedHashMap<>()).put(r.figure(), r);
        }
        List<String[]> rows = new ArrayList<>();
        rows.add(new String[] {"attack", "s", "held", "heap MB before/peak/after", "rss MB before/peak/after",
            "threads", "fds",
            "echo p50/p99/max ms", "echo failed", "health failed", "log KB", "back in s"});
        StringBuilder below = new StringBuilder();
        for (Map.Entry<String, Map<String, Result>> e : byAttack.entrySet()) {
            Map<String, Result> f = e.getValue();
            if (e.getKey().equals(HostileRun.HOST)) {
                below.append("host: ").append(others(f, List.of())).append(System.lineSeparator());
                continue;
            }
            rows.add(new String[] {e.getKey(), n(f, "duration", "%.1f"), n(f, "held-peak", "%.0f"),
                n(f, "heap-before", "%.0f") + " / " + n(f, "heap-peak", "%.0f") + " / " + n(f, "heap-after", "%.0f"),
                n(f, "rss-before", "%.0f") + " / " + n(f, "rss-peak", "%.0f") + " / " + n(f, "rss-after", "%.0f"),
                n(f, "threads-before", "%.0f") + " -> " + n(f, "threads-after", "%.0f"),
                n(f, "fds-before", "%.0f") + " -> " + n(f, "fds-after", "%.0f"),
                n(f, "echo-p50", "%.2f") + " / " + n(f, "echo-p99", "%.2f") + " / " + n(f, "echo-max", "%.0f"),
                n(f, "echo-failed", "%.0f") + " of " + total(f), n(f, "health-failed", "%.0f"),
                n(f, "log", "%.1f"), n(f, "recovered", "%.1f")});
            String seen = others(f, COLUMNS);
            if (!seen.isEmpty()) {
                below.append(e.getKey()).append(": ").append(seen).append(System.lineSeparator());
            }
        }
        StringBuilder sb = new StringBuilder();
        TextTable.append(sb, rows);
        sb.append(below);
        for (Result r : results) {
            for (String w : r.warnings()) {
                sb.append("WARNING ").append(HostileRun.SCENARIO).append(' ').append(r.contender()).append(": ")
                        .append(w).append(System.lineSeparator());
            }
        }
        return sb.toString();
    }

    private static String total(Map<String, Result> f) {
        Result s = f.get("echo-served");
        Result x = f.get("echo-failed");
        return s == null || x == null ? "-" : String.format(Locale.ROOT, "%.0f", s.value() + x.value());
    }

    private static String n(Map<String, Result> f, String figure, String format) {
        Result r = f.get(figure);
        return r == null || !Double.isFinite(r.value()) ? "-" : String.format(Locale.ROOT, format, r.value());
    }

    /** The figures not in {@code skip}, as {@code name value unit}, comma-separated. */
    private static String others(Map<String, Result> f, List<String> skip) {
        List<String> parts = new ArrayList<>();
        for (Result r : f.values()) {
            if (!skip.contains(r.figure())) {
                parts.add(r.figure() + " " + (Double.isFinite(r.value())
                        ? String.format(Locale.ROOT, r.value() == Math.rint(r.value()) ? "%.0f" : "%.2f", r.value())
                        : "-") + " " + r.unit());
            }
        }
        return String.join(", ", parts);
    }
}

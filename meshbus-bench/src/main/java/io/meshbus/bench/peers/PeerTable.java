package io.meshbus.bench.peers;

import io.meshbus.bench.Result;
import io.meshbus.bench.TextTable;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;

/**
 * The figures of {@code peers} as two tables, one row per contender: round-trip percentiles in microseconds, then
 * one-way messages per second, each figure with its ratio to raw TCP and to the best of the other libraries
 * (for latencies the lowest, for rates the highest; above 1 is slower for latencies, faster for rates). Warnings
 * follow the tables.
 */
final class PeerTable {
    private PeerTable() {
    }

    static String render(List<Result> results) {
        StringBuilder sb = new StringBuilder();
        List<String[]> rtt = new ArrayList<>();
        rtt.add(new String[] {"round trip, one in flight (µs)", "p50", "p99", "p999", "p50/raw", "p99/raw",
                "p999/raw", "p50/best", "p99/best", "p999/best"});
        for (PeersScenario.Row row : PeersScenario.ROUND_TRIPS) {
            List<Result> r = new ArrayList<>();
            for (String p : PeersScenario.PERCENTILES) {
                find(results, "rtt-" + p, row).ifPresent(r::add);
            }
            if (r.size() == PeersScenario.PERCENTILES.length) {
                String[] cells = new String[10];
                cells[0] = row.label();
                for (int i = 0; i < 3; i++) {
                    cells[1 + i] = amount(r.get(i).value());
                    cells[4 + i] = ratio(r.get(i).ratio());
                    cells[7 + i] = ratio(r.get(i).ratioToBest());
                }
                rtt.add(cells);
            }
        }
        List<String[]> rate = new ArrayList<>();
        rate.add(new String[] {"one way (msgs/s)", "throughput", "/raw", "/best"});
        for (PeersScenario.Row row : PeersScenario.STREAMS) {
            find(results, "throughput", row).ifPresent(r -> rate.add(new String[] {row.label(),
                    String.format(Locale.ROOT, "%,.0f", r.value()), ratio(r.ratio()), ratio(r.ratioToBest())}));
        }
        TextTable.append(sb, rtt);
        sb.append(System.lineSeparator());
        TextTable.append(sb, rate);
        sb.append("/raw: the figure over raw TCP's; /best: over the best of JeroMQ, Vert.x and NATS in this run")
                .append(System.lineSeparator());
        for (Result r : results) {
            for (String w : r.warnings()) {
                sb.append("WARNING peers ").append(r.contender()).append(' ').append(r.figure()).append(": ")
                        .append(w).append(System.lineSeparator());
            }
        }
        return sb.toString();
    }

    private static Optional<Result> find(List<Result> results, String figure, PeersScenario.Row row) {
        return results.stream().filter(r -> r.figure().equals(figure)
                && row.contender().name().equals(r.contender())).findFirst();
    }

    private static String amount(double v) {
        return Double.isFinite(v) ? String.format(Locale.ROOT, v < 10 ? "%.2f" : "%.1f", v) : "-";
    }

    private static String ratio(double v) {
        return Double.isFinite(v) ? String.format(Locale.ROOT, "%.2f", v) : "-";
    }
}

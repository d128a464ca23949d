package io.meshbus.bench;

import java.math.BigDecimal;
import java.math.RoundingMode;
import java.util.List;
import java.util.Objects;

/**
 * One measured figure next to its baseline from the same run. Warnings travel with the figure they cast doubt on
 * (lost messages, say), so no output format can show the number without them.
 *
 * @param scenario the scenario's name
 * @param figure   what was measured, for example {@code p99}
 * @param value    the node's figure
 * @param unit     unit of value and baseline, for example {@code us}
 * @param baseline the baseline's figure; NaN for a figure without one (printed, with the ratio, as null)
 * @param warnings anything that makes the figure suspect; empty when nothing does
 * @param backplane the broker the figure was measured through ({@code redis}, {@code nats}), so a scenario run on
 *                  several tells its figures apart; null for the others (and then not printed)
 * @param contender the contender the figure is of, for a scenario that measures many in one run ({@code peers});
 *                  null for the others (and then not printed)
 * @param best      the best figure of the other libraries in the same run, which {@link #ratioToBest} compares
 *                  against; NaN where there is none (and then not printed)
 */
public record Result(String scenario, String figure, double value, String unit, double baseline,
                     List<String> warnings, String backplane, String contender, double best) {

    public Result {
        Objects.requireNonNull(scenario, "scenario");
        Objects.requireNonNull(figure, "figure");
        Objects.requireNonNull(unit, "unit");
        warnings = List.copyOf(warnings);
    }

    /** A figure measured without a broker. */
    public Result(String scenario, String figure, double value, String unit, double baseline, List<String> warnings) {
        this(scenario, figure, value, unit, baseline, warnings, null);
    }

    /** A figure measured through a broker (or, with null, without one). */
    public Result(String scenario, String figure, double value, String unit, double baseline, List<String> warnings,
                  String backplane) {
        this(scenario, figure, value, unit, baseline, warnings, backplane, null, Double.NaN);
    }

    /** value / baseline: above 1 means the node's figure is larger (slower for latencies, faster for rates). */
    public double ratio() {
        return value / baseline;
    }

    /** value / best: as {@link #ratio}, against the best other library of the run. */
    public double ratioToBest() {
        return value / best;
    }

    /** One JSON object; {@code backplane} and a {@code warnings} array are added only when there are any. */
    public String toJson() {
        StringBuilder sb = new StringBuilder(128).append("{\"scenario\":").append(quote(scenario));
        if (backplane != null) {
            sb.append(",\"backplane\":").append(quote(backplane));
        }
        if (contender != null) {
            sb.append(",\"contender\":").append(quote(contender));
        }
        sb.append(",\"figure\":").append(quote(figure))
                .append(",\"value\":").append(amount(value))
                .append(",\"unit\":").append(quote(unit))
                .append(",\"baseline\":").append(amount(baseline))
                .append(",\"ratio\":").append(number(ratio(), 2));
        if (Double.isFinite(best)) {
            sb.append(",\"best\":").append(amount(best)).append(",\"ratioToBest\":").append(number(ratioToBest(), 2));
        }
        if (!warnings.isEmpty()) {
            sb.append(",\"warnings\":[");
            for (int i = 0; i < warnings.size(); i++) {
                sb.append(i == 0 ? "" : ",").append(quote(warnings.get(i)));
            }
            sb.append(']');
        }
        return sb.append('}').toString();
    }

    /** One aligned line for people, followed by one line per warning. */
    public String toHuman() {
        String name = scenario + (backplane == null ? "" : " (" + backplane + ")")
                + (contender == null ? "" : " " + contender);
        StringBuilder sb = new StringBuilder(String.format("%-18s %-13s %14s %-6s  baseline %14s %-6s  ratio %s",
                name, figure, amount(value), unit, amount(baseline), unit, number(ratio(), 2)));
        for (String w : warnings) {
            sb.append(System.lineSeparator()).append("WARNING ").append(name).append(": ").append(w);
        }
        return sb.toString();
    }

    /** One decimal, or three below 10 (a latency of 0.4 ms says little more than "under a millisecond"). */
    static String amount(double v) {
        return number(v, Math.abs(v) < 10 ? 3 : 1);
    }

    /** Plain decimal notation (never 1.2E7), which JSON and people both read; NaN and infinities become null. */
    static String number(double v, int decimals) {
        if (!Double.isFinite(v)) {
            return "null";
        }
        return BigDecimal.valueOf(v).setScale(decimals, RoundingMode.HALF_UP).toPlainString();
    }

    private static String quote(String s) {
        StringBuilder sb = new StringBuilder(s.length() + 2).append('"');
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            switch (c) {
                case '"' -> sb.append("\\\"");
                case '\\' -> sb.append("\\\\");
                case '\n' -> sb.append("\\n");
                case '\r' -> sb.append("\\r");
                case '\t' -> sb.append("\\t");
                default -> {
                    if (c < 0x20) {
                        sb.append(String.format("\\u%04x", (int) c));
                    } else {
                        sb.append(c);
                    }
                }
            }
        }
        return sb.append('"').toString();
    }
}

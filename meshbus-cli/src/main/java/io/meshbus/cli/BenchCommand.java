package io.meshbus.cli;

import com.fasterxml.jackson.databind.JsonNode;
import io.meshbus.bench.BenchMain;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/**
 * {@code meshbus bench}: runs a scenario of {@code meshbus-bench} with a progress line on the terminal while it runs
 * and a summary table (figure, value, baseline, ratio) at the end; with {@code --json}, one JSON object per figure.
 */
@Command(name = "bench", description = "Run a benchmark: bench SCENARIO [--seconds S] [--size B] [--json], "
        + "bench --list, bench jmh [REGEX].")
final class BenchCommand implements Callable<Integer> {
    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @CommandLine.Unmatched
    List<String> args = new ArrayList<>();

    @CommandLine.Option(names = {"-h", "--help"}, usageHelp = true, description = "Show this help.")
    boolean help;

    @Override
    public Integer call() throws Exception {
        boolean passThrough = args.isEmpty() || args.contains("--list") || args.get(0).equals("jmh")
                || args.contains("--help");
        if (passThrough) {
            return BenchMain.run(args.toArray(new String[0]), System.out);
        }
        boolean json = args.contains("--json");
        // A scenario of many contenders side by side prints its own table; the others become the summary table.
        boolean ownTable = !json && BenchMain.printsOwnTable(args.get(0));
        List<String> withJson = new ArrayList<>(args);
        if (!json && !ownTable) {
            withJson.add("--json");
        }
        ByteArrayOutputStream captured = new ByteArrayOutputStream();
        CompletableFuture<Integer> run = CompletableFuture.supplyAsync(() -> BenchMain.run(
                withJson.toArray(new String[0]), new PrintStream(captured, true, StandardCharsets.UTF_8)));
        progress(run);
        int code = run.join();
        PrintWriter out = spec.commandLine().getOut();
        List<String> lines = captured.toString(StandardCharsets.UTF_8).lines().filter(l -> !l.isBlank()).toList();
        if (ownTable) {
            out.print(captured.toString(StandardCharsets.UTF_8));
        } else if (json) {
            lines.forEach(out::println);
        } else if (!lines.isEmpty()) {
            out.print(table(lines));
        }
        out.flush();
        return code;
    }

    /** A progress line on the terminal (none when stderr is not one, so logs and CI output stay clean). */
    private void progress(CompletableFuture<Integer> run) throws Exception {
        boolean terminal = System.console() != null;
        long start = System.nanoTime();
        String[] spin = {"|", "/", "-", "\\"};
        int i = 0;
        while (!run.isDone()) {
            if (terminal) {
                long s = TimeUnit.NANOSECONDS.toSeconds(System.nanoTime() - start);
                int filled = (int) (s % 21);
                System.err.printf("\r%s %s [%s%s] %ds ", spin[i++ % 4], args.get(0), "#".repeat(filled),
                        ".".repeat(20 - Math.min(20, filled)), s);
            }
            try {
                run.get(250, TimeUnit.MILLISECONDS);
            } catch (java.util.concurrent.TimeoutException more) {
                // still running: draw the next frame
            }
        }
        if (terminal) {
            System.err.print("\r" + " ".repeat(60) + "\r");
        }
    }

    /** The figures as a table: scenario, figure, value, baseline, ratio. */
    static String table(List<String> jsonLines) throws Exception {
        List<String[]> rows = new ArrayList<>();
        rows.add(new String[] {"scenario", "figure", "value", "baseline", "ratio"});
        for (String l : jsonLines) {
            JsonNode n = Payloads.JSON.readTree(l);
            String unit = n.path("unit").asText("");
            rows.add(new String[] {n.path("scenario").asText(), n.path("figure").asText(),
                    number(n.get("value"), unit), number(n.get("baseline"), unit),
                    n.hasNonNull("ratio") ? String.format("%.2f", n.get("ratio").asDouble()) : "-"});
            if (n.has("warnings") && n.get("warnings").size() > 0) {
                rows.add(new String[] {"", "warning", n.get("warnings").toString(), "", ""});
            }
        }
        int[] w = new int[5];
        for (String[] r : rows) {
            for (int c = 0; c < 5; c++) {
                w[c] = Math.max(w[c], r[c].length());
            }
        }
        StringBuilder sb = new StringBuilder();
        for (String[] r : rows) {
            sb.append(String.format("%-" + w[0] + "s  %-" + w[1] + "s  %" + w[2] + "s  %" + w[3] + "s  %" + w[4]
                    + "s%n", (Object[]) r));
        }
        return sb.toString();
    }

    private static String number(JsonNode v, String unit) {
        if (v == null || v.isNull()) {
            return "-";
        }
        double d = v.asDouble();
        String n = d >= 1000 ? String.format("%,.0f", d) : String.format("%.3f", d).replaceAll("\\.?0+$", "");
        return n + (unit.isEmpty() ? "" : " " + unit);
    }
}

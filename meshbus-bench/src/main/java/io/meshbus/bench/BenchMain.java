package io.meshbus.bench;

import io.meshbus.bench.jmh.JmhMain;
import java.io.PrintStream;
import java.util.Arrays;
import java.util.List;

/**
 * Command line of the benchmarks:
 * {@code SCENARIO [--seconds S] [--warmup S] [--size B] [--count N] [--backplane redis|nats|all] [--rate N]
 * [--fault-every S] [--rounds N] [--contenders A,B] [--quick] [--json]},
 * {@code --list}, or {@code jmh [JMH arguments]}. Each figure is printed as one line, or with {@code --json} as one
 * JSON object per line, next to its baseline measured in the same run.
 */
public final class BenchMain {
    /** Exit code of a scenario that failed (child crashed, timed out, send refused). */
    public static final int FAILED = 1;
    /** Exit code of a command line that could not be understood. */
    public static final int USAGE = 2;

    private static final List<Scenario> SCENARIOS = Catalog.scenarios();

    private BenchMain() {
    }

    public static void main(String[] args) {
        System.exit(run(args, System.out));
    }

    /** Runs one command; figures go to {@code out}, usage and failures to stderr. Returns the exit code. */
    public static int run(String[] args, PrintStream out) {
        if (args.length == 0 || args[0].equals("--help") || args[0].equals("-h")) {
            System.err.println(usage());
            return args.length == 0 ? USAGE : 0;
        }
        if (args[0].equals("--list")) {
            SCENARIOS.forEach(s -> out.printf("%-18s %s%n", s.name(), s.description()));
            return 0;
        }
        if (args[0].equals("jmh")) {
            return JmhMain.run(Arrays.copyOfRange(args, 1, args.length));
        }
        Scenario scenario = SCENARIOS.stream().filter(s -> s.name().equals(args[0])).findFirst().orElse(null);
        if (scenario == null) {
            System.err.println("unknown scenario: " + args[0] + System.lineSeparator() + usage());
            return USAGE;
        }
        Options options;
        try {
            options = Options.parse(Arrays.asList(args).subList(1, args.length), scenario.defaults(),
                    scenario.quickDefaults());
        } catch (IllegalArgumentException e) {
            System.err.println(e.getMessage() + System.lineSeparator() + usage());
            return USAGE;
        }
        try {
            List<Result> results = scenario.run(options);
            String table = options.json() ? null : scenario.table(results);
            if (table != null) {
                out.print(table);
            }
            for (Result r : table == null ? results : List.<Result>of()) {
                out.println(options.json() ? r.toJson() : r.toHuman());
            }
            out.flush();
            return 0;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            System.err.println(scenario.name() + " interrupted");
            return FAILED;
        } catch (Exception e) {
            System.err.println(scenario.name() + " failed: " + e.getMessage());
            e.printStackTrace();
            return FAILED;
        }
    }

    /**
     * Whether {@code scenario} prints its figures as a table of its own in text mode (many contenders side by side),
     * which a front end should show as it is rather than as a list of figures.
     */
    public static boolean printsOwnTable(String scenario) {
        return SCENARIOS.stream().anyMatch(s -> s.name().equals(scenario)
                && s.table(List.of()) != null);
    }

    private static String usage() {
        StringBuilder sb = new StringBuilder()
                .append("usage: bench SCENARIO [--seconds S] [--warmup S] [--size BYTES] [--count N] "
                        + "[--backplane B] [--rate N] [--fault-every S] [--rounds N] [--contenders A,B] [--quick] "
                        + "[--json]\n")
                .append("       bench --list\n")
                .append("       bench jmh [REGEX] [JMH options]\n")
                .append("  --seconds S   measuring time of throughput figures; subject-match: 1-second iterations; "
                        + "soak: sending time; hostile: the baseline and each flood (default 5)\n")
                .append("  --warmup S    warm-up time of throughput figures; subject-match: 1-second iterations "
                        + "(default 2)\n")
                .append("  --size BYTES  payload per message (default 100)\n")
                .append("  --count N     measured round trips per contender of the rtt scenarios, after as many "
                        + "warm-up ones, at most ").append(LatencyLoop.WARMUP_ROUND_TRIPS).append(" (default 100000); "
                        + "hostile: connections of the largest attacks (default 5000)\n")
                .append("  --backplane B redis, nats or all: the brokers of the backplane scenarios (default all; "
                        + "MESHBUS_REDIS_URI, MESHBUS_NATS_URI)\n")
                .append("  --rate N      soak: messages per second per delivery mode, both directions together "
                        + "(default ").append(Options.DEFAULTS.rate()).append(")\n")
                .append("  --fault-every S soak: seconds between two faults (default ")
                .append(Options.DEFAULTS.faultEvery().toSeconds()).append(")\n")
                .append("  --rounds N    turns the contenders of a run take, the time and round trips shared out over "
                        + "them (default ").append(Options.DEFAULTS.rounds()).append(")\n")
                .append("  --contenders A,B  peers: only these contenders (raw always runs: it is the baseline); "
                        + "hostile: only these attacks\n")
                .append("  --quick       a short run that shows every figure works, not what it is worth; options "
                        + "given as well win\n")
                .append("  --json        one JSON object per figure\n")
                .append("scenarios:\n");
        SCENARIOS.forEach(s -> sb.append(String.format("  %-18s %s%n", s.name(), s.description())));
        return sb.toString().stripTrailing();
    }
}

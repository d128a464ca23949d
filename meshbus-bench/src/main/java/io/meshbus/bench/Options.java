package io.meshbus.bench;

import java.time.Duration;
import java.util.List;

/**
 * The settings of one benchmark run.
 *
 * @param measure how long a timed scenario measures ({@code --seconds})
 * @param warmup  how long a timed scenario runs before it measures ({@code --warmup})
 * @param size    payload bytes per message ({@code --size})
 * @param count   round trips a counted scenario measures ({@code --count}), after its fixed warm-up
 * @param json    one JSON object per figure instead of aligned text ({@code --json})
 * @param backplane the brokers a backplane scenario runs on: {@code redis}, {@code nats} or {@code all}
 *                ({@code --backplane}); other scenarios ignore it
 * @param rate    messages per second per delivery mode of the soak scenario ({@code --rate}); others ignore it
 * @param faultEvery time between two faults of the soak scenario ({@code --fault-every}); others ignore it
 * @param rounds  how many turns the contenders of a run take ({@code --rounds}): the measuring time and the round
 *                trips are shared out over them, so a drift of the machine falls on every contender alike
 * @param contenders the contenders a scenario that runs many should run ({@code --contenders a,b}); empty for all
 */
public record Options(Duration measure, Duration warmup, int size, int count, boolean json, String backplane,
                      int rate, Duration faultEvery, int rounds, List<String> contenders) {
    /** Largest payload accepted: far below the node's 4 MiB frame limit, and large enough for any useful run. */
    public static final int MAX_SIZE = 1 << 20;

    /** The values of {@code --backplane}. */
    public static final List<String> BACKPLANES = List.of("all", "redis", "nats");

    /** Highest {@code --rate}: the soak runs every mode both ways in one JVM, and a faster rate measures the cores. */
    public static final int MAX_RATE = 100_000;

    /** Most rounds: each gives every contender a slice of the time, and a slice must stay long enough to mean much. */
    public static final int MAX_ROUNDS = 100;

    public static final Options DEFAULTS = new Options(Duration.ofSeconds(5), Duration.ofSeconds(2), 100, 100_000,
            false, "all", 2_000, Duration.ofSeconds(3), 3, List.of());

    /** What {@code --quick} starts from: a short run that shows every figure works, not what it is worth. */
    public static final Options QUICK = new Options(Duration.ofMillis(600), Duration.ofMillis(200), 100, 2_000,
            false, "all", 2_000, Duration.ofSeconds(3), 2, List.of());

    public Options {
        if (measure.isNegative() || measure.isZero()) {
            throw new IllegalArgumentException("--seconds: must be positive, was " + measure.toMillis() / 1000.0);
        }
        if (warmup.isNegative()) {
            throw new IllegalArgumentException("--warmup: must not be negative, was " + warmup.toMillis() / 1000.0);
        }
        if (size < 0 || size > MAX_SIZE) {
            throw new IllegalArgumentException("--size: must be 0.." + MAX_SIZE + " bytes, was " + size);
        }
        if (count < 1) {
            throw new IllegalArgumentException("--count: must be at least 1, was " + count);
        }
        if (!BACKPLANES.contains(backplane)) {
            throw new IllegalArgumentException("--backplane: one of " + String.join(", ", BACKPLANES) + ", was "
                    + backplane);
        }
        if (rate < 1 || rate > MAX_RATE) {
            throw new IllegalArgumentException("--rate: must be 1.." + MAX_RATE + " msgs/s, was " + rate);
        }
        if (faultEvery.isNegative() || faultEvery.isZero()) {
            throw new IllegalArgumentException("--fault-every: must be positive, was "
                    + faultEvery.toMillis() / 1000.0);
        }
        if (rounds < 1 || rounds > MAX_ROUNDS) {
            throw new IllegalArgumentException("--rounds: must be 1.." + MAX_ROUNDS + ", was " + rounds);
        }
        contenders = List.copyOf(contenders);
    }

    /** Parses the options that follow the scenario name; throws IllegalArgumentException naming the bad one. */
    public static Options parse(List<String> args) {
        return parse(args, DEFAULTS);
    }

    /**
     * Parses the options that follow the scenario name, starting from a scenario's own {@code defaults} (or from
     * {@link #QUICK} with {@code --quick}, wherever it stands); throws IllegalArgumentException naming the bad one.
     */
    public static Options parse(List<String> args, Options defaults) {
        return parse(args, defaults, QUICK);
    }

    /** As {@link #parse(List, Options)}, for a scenario whose {@code --quick} starts from {@code quick}. */
    public static Options parse(List<String> args, Options defaults, Options quick) {
        Options base = args.contains("--quick") ? quick : defaults;
        Duration measure = base.measure;
        Duration warmup = base.warmup;
        int size = base.size;
        int count = base.count;
        boolean json = base.json;
        String backplane = base.backplane;
        int rate = base.rate;
        Duration faultEvery = base.faultEvery;
        int rounds = base.rounds;
        List<String> contenders = base.contenders;
        for (int i = 0; i < args.size(); i++) {
            String a = args.get(i);
            switch (a) {
                case "--json" -> json = true;
                case "--seconds" -> measure = seconds(a, value(args, ++i, a));
                case "--warmup" -> warmup = seconds(a, value(args, ++i, a));
                case "--size" -> size = integer(a, value(args, ++i, a));
                case "--count" -> count = integer(a, value(args, ++i, a));
                case "--backplane" -> backplane = value(args, ++i, a);
                case "--rate" -> rate = integer(a, value(args, ++i, a));
                case "--fault-every" -> faultEvery = seconds(a, value(args, ++i, a));
                case "--rounds" -> rounds = integer(a, value(args, ++i, a));
                case "--contenders" -> contenders = List.of(value(args, ++i, a).split(","));
                case "--quick" -> {
                    // Taken into account before the loop: the options given explicitly win over it.
                }
                default -> throw new IllegalArgumentException("unknown option: " + a);
            }
        }
        return new Options(measure, warmup, size, count, json, backplane, rate, faultEvery, rounds, contenders);
    }

    private static String value(List<String> args, int i, String option) {
        if (i >= args.size()) {
            throw new IllegalArgumentException(option + ": needs a value");
        }
        return args.get(i);
    }

    private static Duration seconds(String option, String s) {
        try {
            double d = Double.parseDouble(s);
            if (!Double.isFinite(d) || d > 86_400) {
                throw new IllegalArgumentException(option + ": not a sensible number of seconds: " + s);
            }
            return Duration.ofNanos(Math.round(d * 1e9));
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(option + ": not a number: " + s, e);
        }
    }

    private static int integer(String option, String s) {
        try {
            return Integer.parseInt(s.replace("_", ""));
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(option + ": not an integer: " + s, e);
        }
    }
}

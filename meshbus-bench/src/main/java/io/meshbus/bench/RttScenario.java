package io.meshbus.bench;

import java.io.IOException;
import java.net.URI;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.HdrHistogram.Histogram;

/**
 * Request/echo with one message in flight: the harness sends, the child echoes, the harness waits for the echo before
 * the next. Every round trip is timed with {@link System#nanoTime} into an HdrHistogram; the warm-up round trips are
 * not recorded.
 */
final class RttScenario implements Scenario {
    static final int WARMUP_ROUND_TRIPS = 10_000;

    private static final Duration STARTUP = Duration.ofSeconds(30);
    /** A run fails when no echo arrives for this long. */
    private static final Duration STALL = Duration.ofSeconds(5);
    /** A run fails when its round trips average worse than this, which no healthy loopback link comes near. */
    private static final Duration SLOWEST_AVERAGE = Duration.ofMillis(1);
    private static final double[] PERCENTILES = {50.0, 99.0, 99.9};
    private static final String[] FIGURES = {"p50", "p99", "p999"};

    private final String name;
    private final String description;
    private final Contender subject;
    private final Contender baseline;

    RttScenario(String name, String description, Contender subject, Contender baseline) {
        this.name = name;
        this.description = description;
        this.subject = subject;
        this.baseline = baseline;
    }

    @Override
    public String name() {
        return name;
    }

    @Override
    public String description() {
        return description;
    }

    @Override
    public List<Result> run(Options o) throws Exception {
        Histogram base = measure(baseline, o);
        Histogram subj = measure(subject, o);
        Result[] results = new Result[PERCENTILES.length];
        for (int i = 0; i < PERCENTILES.length; i++) {
            results[i] = new Result(name, FIGURES[i], micros(subj, PERCENTILES[i]), "us",
                    micros(base, PERCENTILES[i]), List.of());
        }
        return List.of(results);
    }

    private static double micros(Histogram h, double percentile) {
        return h.getValueAtPercentile(percentile) / 1000.0;
    }

    private Histogram measure(Contender c, Options o) throws Exception {
        Duration budget = STARTUP.plus(SLOWEST_AVERAGE.multipliedBy(WARMUP_ROUND_TRIPS + (long) o.count()));
        try (ChildProcess child = ChildProcess.start(c.name(), "echo", o.size(), budget.plus(STARTUP))) {
            URI address = URI.create(child.await("READY", STARTUP)[0]);
            Histogram h = new Histogram(TimeUnit.SECONDS.toNanos(10), 3);
            try (Contender.Pinger pinger = c.pingerTo(address, o.size())) {
                Watchdog watchdog = new Watchdog(pinger, budget);
                try {
                    for (int i = 0; i < WARMUP_ROUND_TRIPS; i++) {
                        pinger.roundTrip();
                        watchdog.done++;
                    }
                    for (int i = 0; i < o.count(); i++) {
                        long start = System.nanoTime();
                        pinger.roundTrip();
                        h.recordValue(System.nanoTime() - start);
                        watchdog.done++;
                    }
                } catch (IOException e) {
                    String why = watchdog.reason;
                    throw why == null ? e : new TimeoutException(c.name() + ": " + why);
                } finally {
                    watchdog.finished = true;
                }
            }
            return h;
        }
    }

    /**
     * Closes the pinger when echoes stop coming or the whole run overruns its budget, which makes the waiting round
     * trip throw: the measured loop itself carries no timer.
     */
    private static final class Watchdog extends Thread {
        private final Contender.Pinger pinger;
        private final long deadline;
        /** Round trips completed; written by the measuring thread only. */
        volatile long done;
        /** Set by the measuring thread; not an interrupt, which would break off a close in progress. */
        volatile boolean finished;
        volatile String reason;

        Watchdog(Contender.Pinger pinger, Duration budget) {
            super("rtt-watchdog");
            this.pinger = pinger;
            this.deadline = System.nanoTime() + budget.toNanos();
            setDaemon(true);
            start();
        }

        @Override
        public void run() {
            long seen = -1;
            long seenAt = System.nanoTime();
            try {
                while (!finished) {
                    Thread.sleep(100);
                    long now = System.nanoTime();
                    long d = done;
                    if (d != seen) {
                        seen = d;
                        seenAt = now;
                    } else if (now - seenAt > STALL.toNanos()) {
                        stop("no echo for " + STALL.toSeconds() + " s after " + d + " round trips");
                        return;
                    }
                    if (now > deadline) {
                        stop("only " + d + " round trips in the time allowed for the whole run");
                        return;
                    }
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }

        private void stop(String why) {
            reason = why;
            try {
                pinger.close();
            } catch (Exception e) {
                System.err.println("closing a stalled pinger failed: " + e);
            }
        }
    }
}

package io.meshbus.bench;

import java.io.IOException;
import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.HdrHistogram.Histogram;

/**
 * Request/echo with one message in flight: the harness sends, the child echoes, the harness waits for the echo before
 * the next. Every round trip is timed with {@link System#nanoTime} into an HdrHistogram; the warm-up round trips are
 * not recorded. Optionally also a {@code throughput} figure: against the same child, a fresh connection keeps a fixed
 * number of requests outstanding, and the replies are counted over a {@code --seconds} window (after
 * {@code --warmup}) on the harness's clock.
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
    /** How long the outstanding requests of a pipeline may take to come back once it stops. */
    private static final Duration PIPELINE_STOP = Duration.ofSeconds(10);

    private final String name;
    private final String description;
    private final Contender subject;
    private final Contender baseline;
    /** Requests outstanding in the throughput figure; 0 for none. */
    private final int inFlight;

    RttScenario(String name, String description, Contender subject, Contender baseline) {
        this(name, description, subject, baseline, 0);
    }

    RttScenario(String name, String description, Contender subject, Contender baseline, int inFlight) {
        this.name = name;
        this.description = description;
        this.subject = subject;
        this.baseline = baseline;
        this.inFlight = inFlight;
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
        Measured base = measure(baseline, o);
        Measured subj = measure(subject, o);
        List<Result> results = new ArrayList<>();
        if (inFlight > 0) {
            results.add(new Result(name, "throughput", subj.rate, "msgs/s", base.rate, List.of()));
        }
        for (int i = 0; i < PERCENTILES.length; i++) {
            results.add(new Result(name, FIGURES[i], micros(subj.latencies, PERCENTILES[i]), "us",
                    micros(base.latencies, PERCENTILES[i]), List.of()));
        }
        return results;
    }

    /** One contender's figures: round-trip times one at a time, and replies per second with inFlight outstanding. */
    private record Measured(Histogram latencies, double rate) {
    }

    private static double micros(Histogram h, double percentile) {
        return h.getValueAtPercentile(percentile) / 1000.0;
    }

    private Measured measure(Contender c, Options o) throws Exception {
        Duration budget = STARTUP.plus(SLOWEST_AVERAGE.multipliedBy(WARMUP_ROUND_TRIPS + (long) o.count()));
        Duration pipelined = inFlight == 0 ? Duration.ZERO
                : STARTUP.plus(o.warmup()).plus(o.measure()).plus(PIPELINE_STOP);
        try (ChildProcess child = ChildProcess.start(c.name(), "echo", o.size(),
                budget.plus(pipelined).plus(STARTUP))) {
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
            return new Measured(h, inFlight == 0 ? Double.NaN : pipelined(c, address, o));
        }
    }

    /** Replies per second with {@link #inFlight} requests outstanding, over the window, on this JVM's clock. */
    private double pipelined(Contender c, URI address, Options o) throws Exception {
        try (Contender.Pipeline p = c.pipelineTo(address, o.size(), inFlight)) {
            long t0;
            long c0;
            long t1;
            long c1;
            try {
                Thread.sleep(o.warmup().toMillis());
                t0 = System.nanoTime();
                c0 = p.completed();
                Thread.sleep(o.measure().toMillis());
                c1 = p.completed();
                t1 = System.nanoTime();
            } finally {
                p.stop(PIPELINE_STOP);
            }
            System.err.printf("%s: %,d requests answered with %d outstanding; %,.0f per second over the window%n",
                    c.name(), p.completed(), inFlight, (c1 - c0) * 1e9 / (t1 - t0));
            if (c1 == c0) {
                throw new IOException(c.name() + ": no reply during the measuring window");
            }
            return (c1 - c0) * 1e9 / (t1 - t0);
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

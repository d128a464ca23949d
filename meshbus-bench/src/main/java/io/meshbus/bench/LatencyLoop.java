package io.meshbus.bench;

import io.meshbus.bench.Contender.Pinger;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.HdrHistogram.Histogram;

/**
 * The one round-trip loop: one request in flight, each timed with {@link System#nanoTime} into an HdrHistogram per
 * contender. Every contender first makes its warm-up round trips (not recorded); then, in each of {@code --rounds}
 * rounds, every contender in turn makes its share of {@code --count}, the order rotating from round to round, so a
 * drift of the machine during the run falls on all of them alike. A slice after a contender's first starts with a
 * few unrecorded round trips, which wake what the other contenders' turns let sleep.
 *
 * <p>Threads: the caller's thread does every round trip; a watchdog thread closes the current pinger when echoes
 * stop or the run overruns its budget, which makes the waiting round trip throw: the timed loop carries no timer.
 */
public final class LatencyLoop {
    /** Warm-up round trips per contender, at most: fewer when {@code --count} is smaller. */
    public static final int WARMUP_ROUND_TRIPS = 10_000;

    private static final int SLICE_WARMUP = 100;
    /** The time allowed for everything but the round trips themselves. */
    private static final Duration OVERHEAD = Duration.ofSeconds(30);
    /** A run fails when no echo arrives for this long. */
    private static final Duration STALL = Duration.ofSeconds(5);
    /** A run fails when its round trips average worse than this, which no healthy loopback link comes near. */
    private static final Duration SLOWEST_AVERAGE = Duration.ofMillis(1);
    private static final long HIGHEST = TimeUnit.SECONDS.toNanos(10);

    /** A contender's requester, by name. */
    public record Requester(String name, Pinger pinger) {
    }

    private LatencyLoop() {
    }

    /** Warm-up round trips of a run of {@code count}. */
    public static int warmup(int count) {
        return Math.min(WARMUP_ROUND_TRIPS, count);
    }

    /** Measures every requester in turns, as the options say; one histogram (nanoseconds) each, in the same order. */
    public static List<Histogram> measure(List<Requester> requesters, Options o) throws Exception {
        int n = requesters.size();
        int warmup = warmup(o.count());
        long perContender = warmup + o.count() + (long) SLICE_WARMUP * o.rounds();
        Watchdog watchdog = new Watchdog(OVERHEAD.plus(SLOWEST_AVERAGE.multipliedBy(perContender * n)));
        List<Histogram> histograms = new ArrayList<>();
        try {
            for (Requester r : requesters) {
                histograms.add(new Histogram(HIGHEST, 3));
                run(watchdog, r, warmup, null);
            }
            for (int round = 0; round < o.rounds(); round++) {
                int share = o.count() / o.rounds() + (round < o.count() % o.rounds() ? 1 : 0);
                for (int k = 0; k < n; k++) {
                    int i = (k + round) % n;
                    if (round > 0) {
                        run(watchdog, requesters.get(i), Math.min(SLICE_WARMUP, warmup), null);
                    }
                    run(watchdog, requesters.get(i), share, histograms.get(i));
                }
            }
        } finally {
            watchdog.finished = true;
        }
        return histograms;
    }

    /** {@code count} round trips of one requester, recorded into {@code h} unless it is null. */
    private static void run(Watchdog watchdog, Requester r, int count, Histogram h) throws Exception {
        watchdog.current = r.pinger();
        try {
            for (int i = 0; i < count; i++) {
                long start = System.nanoTime();
                r.pinger().roundTrip();
                if (h != null) {
                    h.recordValue(Math.min(System.nanoTime() - start, HIGHEST));
                }
                watchdog.done++;
            }
        } catch (IOException e) {
            String why = watchdog.reason;
            throw why == null ? e : new TimeoutException(r.name() + ": " + why);
        }
    }

    /** Closes the current pinger when echoes stop coming or the whole run overruns its budget. */
    private static final class Watchdog extends Thread {
        private final long deadline;
        /** Round trips completed; written by the measuring thread only. */
        volatile long done;
        volatile Pinger current;
        /** Set by the measuring thread; not an interrupt, which would break off a close in progress. */
        volatile boolean finished;
        volatile String reason;

        Watchdog(Duration budget) {
            super("rtt-watchdog");
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
                current.close();
            } catch (Exception e) {
                System.err.println("closing a stalled pinger failed: " + e);
            }
        }
    }
}

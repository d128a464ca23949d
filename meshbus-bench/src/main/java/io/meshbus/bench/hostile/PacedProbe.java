package io.meshbus.bench.hostile;

import io.meshbus.bench.Waits;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.HdrHistogram.Histogram;

/**
 * A normal client's check, repeated at a steady pace from one thread for the whole run, whatever the attacks do:
 * each check is timed into the HdrHistogram of the phase it started in (an attack, the baseline) and counted as failed
 * when it throws. One check at a time: a slow one delays the next, and none are made up in a burst afterwards.
 *
 * <p>Threads: the probe's own thread runs the checks; {@link #begin} and {@link #end} are called from the run's
 * thread. A phase's figures are guarded by the phase.
 */
final class PacedProbe implements AutoCloseable {
    private static final long HIGHEST_US = TimeUnit.MINUTES.toMicros(1);

    /** One check: returns normally when the client was served. */
    @FunctionalInterface
    interface Check {
        void run() throws Exception;
    }

    /** The checks of one phase. */
    static final class Phase {
        // guarded by this
        private final Histogram micros = new Histogram(HIGHEST_US, 3);
        private long failed;
        private String firstFailure;

        synchronized void served(long nanos) {
            micros.recordValue(Math.min(HIGHEST_US, TimeUnit.NANOSECONDS.toMicros(nanos)));
        }

        synchronized void failed(Exception e) {
            if (failed++ == 0) {
                Throwable t = Waits.unwrap(e);
                firstFailure = t.getClass().getSimpleName() + ": " + t.getMessage();
            }
        }

        synchronized Figures figures() {
            long n = micros.getTotalCount();
            return new Figures(n == 0 ? Double.NaN : micros.getValueAtPercentile(50) / 1000.0,
                    n == 0 ? Double.NaN : micros.getValueAtPercentile(99) / 1000.0,
                    n == 0 ? Double.NaN : micros.getMaxValue() / 1000.0, n, failed, firstFailure);
        }
    }

    /** What a phase's checks came to: percentiles in ms (NaN when none was served), counts, the first failure. */
    record Figures(double p50Ms, double p99Ms, double maxMs, long served, long failed, String firstFailure) {
    }

    private final Duration interval;
    private final Check check;
    private volatile Phase current = new Phase();
    private volatile boolean closed;
    private final Thread thread;

    PacedProbe(String name, Duration interval, Check check) {
        this.interval = interval;
        this.check = check;
        this.thread = Waits.daemon(this::loop, "hostile-probe-" + name);
    }

    private void loop() {
        while (!closed) {
            Phase p = current;
            long start = System.nanoTime();
            try {
                check.run();
                p.served(System.nanoTime() - start);
            } catch (InterruptedException e) {
                return;
            } catch (Exception e) {
                p.failed(e);
            }
            long rest = interval.toNanos() - (System.nanoTime() - start);
            if (rest > 0) {
                try {
                    TimeUnit.NANOSECONDS.sleep(rest);
                } catch (InterruptedException e) {
                    return;
                }
            }
        }
    }

    /** Starts a phase: the checks from now on count in it. */
    Phase begin() {
        Phase p = new Phase();
        current = p;
        return p;
    }

    /** Ends {@code p}: the checks from now on count nowhere until the next phase begins. */
    Figures end(Phase p) {
        if (current == p) {
            current = new Phase();
        }
        return p.figures();
    }

    @Override
    public void close() throws InterruptedException {
        closed = true;
        thread.interrupt();
        Waits.join(thread, Duration.ofSeconds(15));
    }
}

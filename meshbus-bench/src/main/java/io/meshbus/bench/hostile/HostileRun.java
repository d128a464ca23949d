package io.meshbus.bench.hostile;

import io.meshbus.bench.Result;
import io.meshbus.bench.hostile.Attack.Outcome;
import io.meshbus.bench.hostile.HostGauges.Level;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * One run: a host, then every attack in turn against it, each watched the same way. Before an attack the host's
 * level (heap after a full collection, threads, file descriptors); during it the normal client's echo requests and
 * health checks, and the peaks; after it the wait, within {@link #RECOVERY}, until the host is back to its level, and
 * the level then. An attack that takes the host down keeps its row, with a warning, and the next
 * attack gets a new host. The run ends with SIGTERM, timed.
 *
 * <p>Threads: the caller's; the probes and gauges have their own.
 */
final class HostileRun implements AutoCloseable {
    static final String SCENARIO = "hostile";
    static final String HOST = "host";
    /** What the host may keep above its level after an attack, as the CI suite allows. */
    static final long FD_MARGIN = 16;
    static final long THREAD_MARGIN = 8;
    static final double HEAP_MARGIN_MB = 32;
    /** How long the host may take, after an attack, to give back what it held: past its deadlines (10 s at most). */
    static final Duration RECOVERY = Duration.ofSeconds(30);
    private static final Duration POLL = Duration.ofSeconds(1);
    private static final double KB = 1024.0;

    private final int size;
    private final Duration warmup;
    private final List<Attack> attacks;
    private final List<Result> results = new ArrayList<>();
    private Subject subject;
    private int restarts;
    private long logTotal;
    private PacedProbe.Figures baseline;
    private final long started = System.nanoTime();

    /**
     * @param size    the normal client's request size
     * @param warmup  how long the normal client runs before the baseline, unmeasured
     * @param attacks the baseline first, then the attacks, in the order they run
     */
    HostileRun(int size, Duration warmup, List<Attack> attacks) {
        this.size = size;
        this.warmup = warmup;
        this.attacks = attacks;
    }

    List<Result> run() throws Exception {
        subject = Subject.start(size);
        // The warm-up's length: the normal client's requests meanwhile count nowhere.
        Thread.sleep(warmup.toMillis());
        for (Attack a : attacks) {
            if (!subject.host.isAlive()) {
                logTotal += subject.host.logSize();
                subject.close();
                restarts++;
                subject = Subject.start(size);
            }
            attack(a);
        }
        logTotal += subject.host.logSize();
        List<String> warnings = new ArrayList<>();
        long start = System.nanoTime();
        boolean ended = subject.host.terminate(HostProcess.STOP);
        double took = (System.nanoTime() - start) / 1e9;
        if (!ended) {
            warnings.add("the host did not end within " + HostProcess.STOP.toSeconds() + " s of SIGTERM");
        }
        add(HOST, "sigterm-exit", ended ? took : Double.NaN, "s", warnings);
        add(HOST, "restarts", restarts, "hosts", restarts > 0 ? List.of("an attack took the host down") : List.of());
        add(HOST, "log-total", logTotal / KB, "KB", List.of());
        return results;
    }

    private void attack(Attack a) throws Exception {
        System.err.printf("hostile: %s, %.0f s into the run%n", a.name(), (System.nanoTime() - started) / 1e9);
        Level before = subject.gauges.level();
        Subject.Watch watch = subject.watch();
        long start = System.nanoTime();
        Outcome out;
        try {
            out = a.run(subject.host.target());
        } catch (Exception e) {
            out = new Outcome().warn("the attack failed: " + e);
        }
        double took = (System.nanoTime() - start) / 1e9;
        Subject.Watched during = subject.end(watch);
        if (a instanceof Quiet) {
            baseline = during.echo();
        }
        long end = System.nanoTime();
        Level after = recover(before, RECOVERY);
        double back = after == null ? Double.NaN : (System.nanoTime() - end) / 1e9;
        if (after == null) {
            after = subject.gauges.level();
        }
        List<String> warnings = new ArrayList<>(out.warnings);
        warnings.addAll(findings(during, before, after, RECOVERY));
        String n = a.name();
        add(n, "duration", took, "s", warnings);
        add(n, "held-peak", Math.max(0, during.peaks().fds() - before.fds()), "connections", List.of());
        add(n, "heap-before", before.heapMb(), "MB", List.of());
        add(n, "heap-peak", during.peaks().heapMb(), "MB", List.of());
        add(n, "heap-after", after.heapMb(), "MB", List.of());
        add(n, "rss-before", before.rssMb(), "MB", List.of());
        add(n, "rss-peak", during.peaks().rssMb(), "MB", List.of());
        add(n, "rss-after", after.rssMb(), "MB", List.of());
        add(n, "threads-before", before.threads(), "threads", List.of());
        add(n, "threads-after", after.threads(), "threads", List.of());
        add(n, "fds-before", before.fds(), "fds", List.of());
        add(n, "fds-after", after.fds(), "fds", List.of());
        PacedProbe.Figures e = during.echo();
        results.add(new Result(SCENARIO, "echo-p50", e.p50Ms(), "ms", baseline.p50Ms(), List.of(), null, n,
                Double.NaN));
        results.add(new Result(SCENARIO, "echo-p99", e.p99Ms(), "ms", baseline.p99Ms(), List.of(), null, n,
                Double.NaN));
        add(n, "echo-max", e.maxMs(), "ms", List.of());
        add(n, "echo-served", e.served(), "requests", List.of());
        add(n, "echo-failed", e.failed(), "requests", List.of());
        add(n, "health-failed", during.health().failed(), "probes", List.of());
        add(n, "log", during.logBytes() / KB, "KB", List.of());
        add(n, "recovered", back, "s", List.of());
        for (Attack.Seen s : out.seen) {
            add(n, s.figure(), s.value(), s.unit(), List.of());
        }
    }

    /**
     * Waits, at most {@code bound}, until the host's file descriptors, threads and heap after a full collection are
     * back within the margins of {@code before}; returns that level, or null when it did not come back.
     */
    private Level recover(Level before, Duration bound) throws Exception {
        long deadline = System.nanoTime() + bound.toNanos();
        while (subject.host.isAlive()) {
            if (subject.gauges.fds() <= before.fds() + FD_MARGIN
                    && subject.gauges.threads() <= before.threads() + THREAD_MARGIN) {
                Level l = subject.gauges.level();
                if (l.fds() <= before.fds() + FD_MARGIN && !(l.heapMb() > before.heapMb() + HEAP_MARGIN_MB)) {
                    return l;
                }
            }
            if (System.nanoTime() > deadline) {
                return null;
            }
            // A poll of the host's level: what it gives back, it gives back on its own timers.
            Thread.sleep(POLL.toMillis());
        }
        return null;
    }

    /** What the figures of one phase say that deserves a warning: failures, a dead host, an alarming log. */
    private List<String> findings(Subject.Watched w, Level before, Level after, Duration bound) {
        List<String> found = new ArrayList<>();
        if (!subject.host.isAlive()) {
            found.add("the host exited (code " + subject.host.exitCode() + ")");
        }
        PacedProbe.Figures e = w.echo();
        if (e.failed() > 0) {
            found.add(e.failed() + " of " + (e.served() + e.failed()) + " echo requests failed; the first: "
                    + e.firstFailure());
        }
        PacedProbe.Figures h = w.health();
        if (h.failed() > 0) {
            found.add(h.failed() + " of " + (h.served() + h.failed()) + " /health probes failed; the first: "
                    + h.firstFailure());
        }
        if (after.fds() > before.fds() + FD_MARGIN || after.threads() > before.threads() + THREAD_MARGIN
                || after.heapMb() > before.heapMb() + HEAP_MARGIN_MB) {
            found.add(String.format(Locale.ROOT, "not back to its level within %d s: heap after GC %.0f MB (before "
                    + "%.0f), threads %d (%d), fds %d (%d)", bound.toSeconds(), after.heapMb(), before.heapMb(),
                    after.threads(), before.threads(), after.fds(), before.fds()));
        }
        List<String> alarming = HostProcess.alarming(w.log());
        if (!alarming.isEmpty()) {
            found.add(alarming.size() + " alarming log lines; the first: " + alarming.get(0));
        }
        return found;
    }

    private void add(String attack, String figure, double value, String unit, List<String> warnings) {
        results.add(new Result(SCENARIO, figure, value, unit, Double.NaN, warnings, null, attack, Double.NaN));
    }

    @Override
    public void close() throws Exception {
        if (subject != null) {
            subject.close();
        }
    }
}

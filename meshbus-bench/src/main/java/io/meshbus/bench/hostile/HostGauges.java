package io.meshbus.bench.hostile;

import io.meshbus.bench.Waits;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Stream;

/**
 * What the host process holds, read from outside it so that no attack on its status page can hide it: open file
 * descriptors, threads and resident memory from {@code /proc}, heap from {@link JstatHeap}. Resident memory counts
 * what the heap does not: Netty's direct buffers, thread stacks. A sampler keeps the most file descriptors and
 * resident memory seen since the last {@link #takePeaks}; each socket the host holds is one descriptor, so the rise
 * over the level before an attack is the connections it held.
 *
 * <p>Threads: a sampler thread reads {@code /proc} every {@link #INTERVAL_MS} ms; the peaks are atomics.
 */
final class HostGauges implements AutoCloseable {
    private static final long INTERVAL_MS = 100;
    private static final double MB = 1024.0 * 1024;

    private final Path proc;
    private final JstatHeap heap;
    private final AtomicLong peakFds = new AtomicLong(-1);
    private final AtomicLong peakRss = new AtomicLong(-1);
    private volatile boolean closed;

    /**
     * Heap after a full collection and resident memory (MB), threads and file descriptors; NaN or -1 when the process
     * is gone.
     */
    record Level(double heapMb, double rssMb, long threads, long fds) {
    }

    /** The most file descriptors, heap (MB, garbage included) and resident memory (MB) seen over a window. */
    record Peaks(long fds, double heapMb, double rssMb) {
    }

    HostGauges(long pid) throws IOException {
        this.proc = Path.of("/proc", Long.toString(pid));
        this.heap = new JstatHeap(pid);
        Waits.daemon(this::sample, "hostile-gauges");
    }

    private void sample() {
        while (!closed) {
            peakFds.accumulateAndGet(fds(), Math::max);
            peakRss.accumulateAndGet(rssKb(), Math::max);
            try {
                Thread.sleep(INTERVAL_MS);
            } catch (InterruptedException e) {
                return;
            }
        }
    }

    /** Open file descriptors of the host; -1 when it is gone. */
    long fds() {
        try (Stream<Path> s = Files.list(proc.resolve("fd"))) {
            return s.count();
        } catch (IOException | RuntimeException gone) {
            return -1;
        }
    }

    /** Threads of the host; -1 when it is gone. */
    long threads() {
        return status("Threads:");
    }

    /** Resident memory of the host in KiB; -1 when it is gone. */
    private long rssKb() {
        return status("VmRSS:");
    }

    /** A number of {@code /proc/PID/status}: the first word after {@code key}; -1 when the process is gone. */
    private long status(String key) {
        try (Stream<String> lines = Files.lines(proc.resolve("status"))) {
            return lines.filter(l -> l.startsWith(key))
                    .mapToLong(l -> Long.parseLong(l.substring(key.length()).trim().split("\\s+")[0]))
                    .findFirst().orElse(-1);
        } catch (IOException | RuntimeException gone) {
            return -1;
        }
    }

    private static double mb(long kb) {
        return kb < 0 ? Double.NaN : kb / 1024.0;
    }

    /** The level after a full collection. */
    Level level() throws IOException, InterruptedException {
        long h = heap.afterFullGc();
        return new Level(h < 0 ? Double.NaN : h / MB, mb(rssKb()), threads(), fds());
    }

    /** The peaks since the last call, and a new window from now. */
    Peaks takePeaks() {
        long h = heap.takePeak();
        return new Peaks(peakFds.getAndSet(fds()), h < 0 ? Double.NaN : h / MB, mb(peakRss.getAndSet(rssKb())));
    }

    @Override
    public void close() {
        closed = true;
        heap.close();
    }
}

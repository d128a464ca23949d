package io.meshbus.bench.hostile;

import io.meshbus.bench.Waits;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The heap another JVM uses, sampled by {@code jstat -gc PID 100} (the JDK's tool, reading the JVM's performance
 * counters): no request to the process itself, so an attack on its status page cannot hide its heap. Used is the
 * survivor, eden and old spaces together. A full collection is asked with {@code jcmd PID GC.run}.
 *
 * <p>Threads: a reader thread parses jstat's lines; the latest sample, the count of samples and the peak are
 * atomics, read from any thread.
 */
final class JstatHeap implements AutoCloseable {
    private static final long INTERVAL_MS = 100;
    private static final List<String> USED = List.of("S0U", "S1U", "EU", "OU");
    private static final Duration GC_BOUND = Duration.ofSeconds(30);

    private final long pid;
    private final Process jstat;
    private final AtomicLong latest = new AtomicLong(-1);
    private final AtomicLong samples = new AtomicLong();
    private final AtomicLong peak = new AtomicLong(-1);

    JstatHeap(long pid) throws IOException {
        this.pid = pid;
        this.jstat = new ProcessBuilder(tool("jstat"), "-gc", Long.toString(pid), Long.toString(INTERVAL_MS))
                .redirectErrorStream(true).start();
        Thread reader = new Thread(this::read, "hostile-jstat");
        reader.setDaemon(true);
        reader.start();
    }

    /** A tool of the JDK this JVM runs on. */
    static String tool(String name) {
        return ProcessHandle.current().info().command().map(java -> Path.of(java).resolveSibling(name).toString())
                .orElse(name);
    }

    private void read() {
        try (BufferedReader r = new BufferedReader(new InputStreamReader(jstat.getInputStream(),
                StandardCharsets.UTF_8))) {
            int[] columns = null;
            for (String line = r.readLine(); line != null; line = r.readLine()) {
                String[] w = line.trim().split("\\s+");
                if (w.length > 0 && w[0].equals("S0C")) {
                    List<String> header = Arrays.asList(w);
                    columns = USED.stream().mapToInt(header::indexOf).toArray();
                } else if (columns != null && w.length > Arrays.stream(columns).max().orElse(0)) {
                    double kb = 0;
                    for (int c : columns) {
                        kb += Double.parseDouble(w[c]);
                    }
                    long bytes = (long) (kb * 1024);
                    latest.set(bytes);
                    peak.accumulateAndGet(bytes, Math::max);
                    samples.incrementAndGet();
                }
            }
        } catch (IOException | NumberFormatException e) {
            System.err.println("hostile: reading jstat of " + pid + " failed: " + e);
        }
    }

    /** The most heap used since the last call (or since start), in bytes; -1 without a sample. */
    long takePeak() {
        return peak.getAndSet(latest.get());
    }

    /**
     * The heap used right after a full collection, in bytes: jcmd's {@code GC.run} returns once it is done, and the
     * second sample after that is taken. -1 when there is none within a second.
     */
    long afterFullGc() throws IOException, InterruptedException {
        Process gc = new ProcessBuilder(tool("jcmd"), Long.toString(pid), "GC.run").redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
        if (!gc.waitFor(GC_BOUND.toSeconds(), TimeUnit.SECONDS)) {
            gc.destroyForcibly();
            return -1;
        }
        long after = samples.get() + 2;
        return Waits.waitFor(() -> samples.get() >= after, Duration.ofSeconds(1)) ? latest.get() : -1;
    }

    @Override
    public void close() {
        jstat.destroyForcibly();
    }
}

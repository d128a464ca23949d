package io.meshbus.bench;

import io.meshbus.bus.Host;
import io.meshbus.bus.HostAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.BooleanSupplier;
import org.HdrHistogram.Histogram;

/**
 * How the bus scales inside one JVM, in-process hosts only, so there is no baseline (reported as null). Two figures:
 * the heap a peer costs (one host, a million peers, heap after full collections, after minus before), and the
 * latency of uncached {@code find}s in a network of 100 hosts on the in-memory transport holding a million peers.
 * The work runs in a child JVM of its own with a 6 GiB heap, so the harness's flags do not matter; the child
 * reports progress on stderr.
 *
 * <pre>
 * child args: PEERS HOSTS FINDS WARMUP_FINDS LIFETIME_SECONDS
 * child out:  HEAP bytesPerPeer
 *             FIND p50Nanos p99Nanos maxNanos failures
 *             CLOSED ok|failed reason      once the hosts of the find are closed
 * </pre>
 */
final class BusScaleScenario implements Scenario {
    static final int PEERS = 1_000_000;
    static final int HOSTS = 100;
    static final int FINDS = 10_000;
    /** Finds before the timed ones, of other ids, so the timed ones do not pay for JIT compilation. */
    static final int WARMUP_FINDS = 1_000;
    /**
     * The network's hosts run with this send queue capacity instead of the default 65,536: a remote's queue is a ring
     * allocated whole when the remote is made, about 0.5 MiB at the default, and 100 hosts in one JVM have 9,900
     * remotes (5.2 GB of empty rings, which leaves a 6 GiB heap too little to close the hosts). Lookups and
     * registrations use a few slots; the default hosts of {@code heap-per-peer} have no remote at all.
     */
    static final int SEND_QUEUE_CAPACITY = 1024;
    static final List<String> JVM_OPTIONS = List.of("-Xms6g", "-Xmx6g", "-XX:+UseParallelGC",
            "-Dslf4j.internal.verbosity=ERROR");

    private static final Duration HEAP_PHASE = Duration.ofMinutes(5);
    private static final Duration FIND_PHASE = Duration.ofMinutes(15);
    private static final Duration START = Duration.ofSeconds(30);
    private static final Duration JOIN = Duration.ofSeconds(60);
    private static final Duration MEMBERSHIP = Duration.ofMinutes(2);
    private static final Duration REGISTRATIONS = Duration.ofMinutes(5);
    /** Registrations are taken as done once the directories' size stayed the same for this long. */
    private static final Duration SETTLED = Duration.ofSeconds(2);
    private static final Duration FIND_TIMEOUT = Duration.ofSeconds(10);
    private static final Duration CLOSE = Duration.ofSeconds(60);

    @Override
    public String name() {
        return "bus-scale";
    }

    @Override
    public String description() {
        return "heap per peer (1M peers on one host), uncached find p99 (100 in-memory hosts, 1M peers); no baseline";
    }

    @Override
    public List<Result> run(Options o) throws Exception {
        Duration lifetime = HEAP_PHASE.plus(FIND_PHASE).plus(START);
        List<String> args = List.of(Integer.toString(PEERS), Integer.toString(HOSTS), Integer.toString(FINDS),
                Integer.toString(WARMUP_FINDS), Long.toString(lifetime.toSeconds()));
        try (ChildProcess child = ChildProcess.start(name(), JVM_OPTIONS, BusScaleScenario.class, args)) {
            double heap = Double.parseDouble(child.await("HEAP", HEAP_PHASE)[0]);
            String[] find = child.await("FIND", FIND_PHASE);
            String[] closed = child.await("CLOSED", CLOSE.plus(START));
            List<String> warnings = new ArrayList<>();
            long failures = Long.parseLong(find[3]);
            if (failures > 0) {
                warnings.add(String.format("%,d of %,d finds failed, timed out or named the wrong host", failures,
                        FINDS + WARMUP_FINDS));
            }
            if (!closed[0].equals("ok")) {
                warnings.add("closing the hosts afterwards " + String.join(" ", closed));
            }
            return List.of(new Result(name(), "heap-per-peer", heap, "bytes", Double.NaN, List.of()),
                    new Result(name(), "find-p50", millis(find[0]), "ms", Double.NaN, warnings),
                    new Result(name(), "find-p99", millis(find[1]), "ms", Double.NaN, warnings));
        }
    }

    private static double millis(String nanos) {
        return Long.parseLong(nanos) / 1e6;
    }

    // ------------------------------------------------------------------ the child JVM

    public static void main(String[] args) {
        try {
            BenchChild.startWatchdog(Duration.ofSeconds(Long.parseLong(args[4])));
            BenchChild.exitWhenStdinCloses();
            int peers = Integer.parseInt(args[0]);
            BenchChild.reply("HEAP " + heapPerPeer(peers));
            List<Host> hosts = new ArrayList<>();
            try {
                BenchChild.reply("FIND " + findLatency(hosts, peers, Integer.parseInt(args[1]),
                        Integer.parseInt(args[2]), Integer.parseInt(args[3])));
            } finally {
                BenchChild.reply("CLOSED " + close(hosts));
            }
            System.exit(0);
        } catch (Throwable t) {
            BenchChild.reply("ERROR " + t.toString().replace('\n', ' '));
            t.printStackTrace();
            System.exit(1);
        }
    }

    /** Heap used by {@code peers} peers on one host, per peer, ids included: a peer cannot exist without its id. */
    private static double heapPerPeer(int peers) throws Exception {
        Host host = await(Host.builder().id("scale-single").listen("mem://0").build().start(), START);
        try {
            long before = Heap.usedAfterGc();
            long t0 = System.nanoTime();
            for (int i = 1; i <= peers; i++) {
                host.create(peerId(i));
            }
            progress("created %,d peers on one host in %.1f s", peers, seconds(t0));
            long after = Heap.usedAfterGc();
            progress("heap used %,d bytes before, %,d after", before, after);
            return (after - before) / (double) peers;
        } finally {
            await(host.close(), CLOSE);
        }
    }

    /**
     * Starts {@code hosts} hosts, joins each to the first, creates {@code peers} peers spread evenly, then has the
     * first host find {@code warmup + finds} random peers of the others, each id once (so no answer is cached), one at
     * a time. Returns "p50 p99 max failures" of the timed finds, in nanoseconds.
     */
    private static String findLatency(List<Host> hosts, int peers, int hostCount, int finds, int warmup)
            throws Exception {
        long t0 = System.nanoTime();
        for (int i = 0; i < hostCount; i++) {
            hosts.add(await(Host.builder().id(String.format("host-%03d", i)).listen("mem://0")
                    .node(n -> n.sendQueueCapacity(SEND_QUEUE_CAPACITY)).build().start(), START));
        }
        progress("started %d hosts in %.1f s", hostCount, seconds(t0));
        t0 = System.nanoTime();
        String seed = hosts.get(0).info().toString();
        for (int i = 1; i < hostCount; i++) {
            await(hosts.get(i).join(seed), JOIN);
            if (i % 10 == 0) {
                progress("%d hosts joined (%.1f s)", i, seconds(t0));
            }
        }
        waitFor(() -> hosts.stream().allMatch(h -> h.members().size() == hostCount - 1), MEMBERSHIP,
                "every host to see the " + (hostCount - 1) + " others");
        progress("every host sees the %d others, %.1f s after the first join", hostCount - 1, seconds(t0));

        t0 = System.nanoTime();
        int perHost = peers / hostCount;
        for (int h = 0; h < hostCount; h++) {
            for (int j = 1; j <= perHost; j++) {
                hosts.get(h).create(peerId(h * perHost + j));
            }
        }
        progress("created %,d peers, %,d per host, in %.1f s", perHost * hostCount, perHost, seconds(t0));
        long entries = awaitRegistrations(hosts);
        progress("directories settled at %,d entries, %.1f s after the first peer", entries, seconds(t0));

        Host from = hosts.get(0);
        int[] targets = distinctPeersNotOn(from, perHost * hostCount, perHost, warmup + finds);
        Histogram h = new Histogram(FIND_TIMEOUT.toNanos(), 3);
        long failures = 0;
        t0 = System.nanoTime();
        for (int i = 0; i < targets.length; i++) {
            String expected = String.format("host-%03d", (targets[i] - 1) / perHost);
            long start = System.nanoTime();
            boolean ok = find(from, peerId(targets[i]), expected);
            long took = System.nanoTime() - start;
            failures += ok ? 0 : 1;
            if (i >= warmup) {
                h.recordValue(Math.min(took, h.getHighestTrackableValue()));
            }
        }
        progress("%,d finds (%,d warm-up) in %.1f s, %d failed; host %s: %s", targets.length, warmup,
                seconds(t0), failures, from.id(), from.metrics());
        return h.getValueAtPercentile(50) + " " + h.getValueAtPercentile(99) + " " + h.getMaxValue() + " "
                + failures;
    }

    /** Closes the hosts, all at once; "ok" or "failed" and why. */
    private static String close(List<Host> hosts) {
        long t0 = System.nanoTime();
        try {
            await(CompletableFuture.allOf(hosts.stream().map(Host::close).toArray(CompletableFuture[]::new)), CLOSE);
            progress("closed %d hosts in %.1f s", hosts.size(), seconds(t0));
            return "ok";
        } catch (Exception e) {
            progress("closing %d hosts failed after %.1f s: %s", hosts.size(), seconds(t0), e);
            return "failed after " + Math.round(seconds(t0)) + " s: " + e;
        }
    }

    /** One find; false (with the reason on stderr) when it failed, timed out or named another host. */
    private static boolean find(Host from, String peerId, String expectedHost) throws InterruptedException {
        try {
            HostAddress a = from.find(peerId).get(FIND_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
            if (a.hostId().equals(expectedHost)) {
                return true;
            }
            progress("find %s: %s, expected host %s", peerId, a, expectedHost);
        } catch (Exception e) {
            progress("find %s failed: %s", peerId, e);
        }
        return false;
    }

    /**
     * The directories' total size once it stopped changing. Registrations go out in batches after each create, and
     * nothing outside the bus tells how many entries to expect (a peer whose owner is its own host is not sent).
     */
    private static long awaitRegistrations(List<Host> hosts) throws Exception {
        long deadline = System.nanoTime() + REGISTRATIONS.toNanos();
        long last = -1;
        long stableSince = System.nanoTime();
        while (true) {
            long entries = hosts.stream().mapToLong(h -> h.metrics().get("directoryEntries")).sum();
            long now = System.nanoTime();
            if (entries != last) {
                last = entries;
                stableSince = now;
            } else if (now - stableSince >= SETTLED.toNanos()) {
                return entries;
            }
            if (now > deadline) {
                throw new TimeoutException("directories still changing after " + REGISTRATIONS.toSeconds()
                        + " s (" + entries + " entries)");
            }
            Thread.sleep(200);
        }
    }

    /** {@code n} distinct peer numbers in random order (a fixed seed, so runs compare), none of the first host's. */
    private static int[] distinctPeersNotOn(Host first, int peers, int perHost, int n) {
        int[] pool = new int[peers - perHost];
        for (int i = 0; i < pool.length; i++) {
            pool[i] = perHost + 1 + i;
        }
        SplittableRandom random = new SplittableRandom(42);
        for (int i = 0; i < n; i++) {
            int j = i + random.nextInt(pool.length - i);
            int t = pool[i];
            pool[i] = pool[j];
            pool[j] = t;
        }
        for (int i = 0; i < n; i++) {
            if (first.get(peerId(pool[i])) != null) {
                throw new IllegalStateException("peer " + pool[i] + " is on the finding host");
            }
        }
        return Arrays.copyOf(pool, n);
    }

    private static String peerId(int n) {
        return String.format("peer-%07d", n);
    }

    private static void waitFor(BooleanSupplier condition, Duration timeout, String what) throws Exception {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new TimeoutException("waited " + timeout.toSeconds() + " s for " + what);
            }
            Thread.sleep(100);
        }
    }

    private static <T> T await(CompletableFuture<T> f, Duration timeout) throws Exception {
        return f.get(timeout.toMillis(), TimeUnit.MILLISECONDS);
    }

    private static double seconds(long since) {
        return (System.nanoTime() - since) / 1e9;
    }

    private static void progress(String format, Object... args) {
        System.err.println("bus-scale: " + String.format(format, args));
    }
}

package io.meshbus.netbench;

import com.fasterxml.jackson.databind.JsonNode;
import io.meshbus.netbench.FaultResult.Detection;
import io.meshbus.netbench.FaultResult.HostFigures;
import io.meshbus.netbench.FaultResult.ProcessFigures;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.BooleanSupplier;
import java.util.stream.Stream;

/**
 * The network test bench: hosts in their own network namespaces, one JVM each, traffic in every mode between all of
 * them, and a list of {@link Fault}s injected one after the other from outside, each followed by its heal. For each
 * fault it measures how fast the dead links were seen, how fast membership converged after the heal, and what the
 * traffic came to ({@link FaultResult}); it prints one table per fault and a summary.
 *
 * <p>It needs root and the {@code ip} and {@code tc} tools ({@link #unavailable}). Everything it makes carries the
 * run's prefix and is torn down at the end, on Ctrl-C (a shutdown hook) and, for a run that died, by the next run.
 *
 * <p>Threads: one thread runs a bench; the shutdown hook may tear down at the same time, at most once.
 */
public final class NetBench {
    /** How often convergence and drain are polled. */
    private static final Duration POLL = Duration.ofMillis(100);
    private static final Duration CONVERGE_BOUND = Duration.ofSeconds(60);
    /** After the traffic stops: what at-least-once streams may still be retransmitting. */
    private static final Duration STREAM_DRAIN = Duration.ofSeconds(30);
    private static final Duration WARM = Duration.ofSeconds(1);
    private static final Duration SETTLE = Duration.ofSeconds(1);

    private final Options options;
    private final PrintStream out;
    private final AtomicBoolean tornDown = new AtomicBoolean();
    private volatile Namespaces net;
    private volatile Cluster cluster;

    private NetBench(Options options, PrintStream out) {
        this.options = options;
        this.out = out;
    }

    /**
     * Why the bench cannot run here (not Linux, not root, {@code ip} or {@code tc} missing), or null when it can.
     */
    public static String unavailable() {
        if (!System.getProperty("os.name", "").toLowerCase().contains("linux")) {
            return "the network bench needs Linux network namespaces; this is " + System.getProperty("os.name");
        }
        try {
            String uid = Files.readAllLines(Path.of("/proc/self/status")).stream()
                    .filter(l -> l.startsWith("Uid:")).findFirst().orElse("Uid: -1").split("\\s+")[1];
            if (!uid.equals("0")) {
                return "the network bench needs root (ip netns), and runs as uid " + uid;
            }
        } catch (IOException e) {
            return "cannot tell whether this runs as root: " + e.getMessage();
        }
        if (!Commands.available("ip", "-V")) {
            return "the network bench needs the `ip` tool (iproute2), which is not on the PATH";
        }
        if (!Commands.available("tc", "-V")) {
            return "the network bench needs the `tc` tool (iproute2), which is not on the PATH";
        }
        return null;
    }

    /** Runs the bench, printing progress and the tables to {@code out}. */
    public static Report run(Options options, PrintStream out) throws IOException {
        String why = unavailable();
        if (why != null) {
            throw new IllegalStateException(why);
        }
        return new NetBench(options, out).run();
    }

    private Report run() throws IOException {
        long t0 = System.nanoTime();
        Namespaces.removeLeftovers(out::println);
        String prefix = Namespaces.runPrefix();
        Path logs = Files.createTempDirectory("meshbus-netbench-");
        Thread hook = new Thread(this::tearDown, "netbench-teardown");
        Runtime.getRuntime().addShutdownHook(hook);
        boolean ok = false;
        List<FaultResult> results = new ArrayList<>();
        try {
            net = Namespaces.create(prefix, options.hosts());
            cluster = new Cluster(net, options.hosts(), options.settings(), logs);
            out.println(Tables.header(options, prefix));
            out.flush();
            cluster.start();
            for (int k = 0; k < options.faults().size(); k++) {
                FaultResult r = phase(k, options.faults().get(k));
                results.add(r);
                out.print(Tables.fault(k + 1, options.faults().size(), r, options));
                out.flush();
            }
            ok = true;
        } finally {
            tearDown();
            try {
                Runtime.getRuntime().removeShutdownHook(hook);
            } catch (IllegalStateException shuttingDown) {
                // the hook runs, or ran, the same teardown
            }
            if (ok) {
                deleteTree(logs);
            } else {
                out.println("host logs kept in " + logs);
            }
        }
        Report report = new Report(options, prefix, results, cluster.startedPids(),
                Duration.ofNanos(System.nanoTime() - t0));
        out.print(Tables.summary(report));
        out.flush();
        return report;
    }

    private FaultResult phase(int k, Fault fault) throws IOException {
        int hosts = options.hosts();
        int victim = k % hosts + 1;
        String phase = "f" + (k + 1);
        String description = fault.describe(victim, hosts);
        out.println("fault " + (k + 1) + "/" + options.faults().size() + ": " + description + " ...");
        out.flush();
        Map<Integer, ProcessFigures> before = cluster.processes();
        cluster.traffic(phase);
        pause(WARM);
        long injected = System.currentTimeMillis();
        fault.inject(cluster, victim, hosts);
        pause(options.hold());
        long healed = System.currentTimeMillis();
        fault.heal(cluster, victim, hosts);
        long converged = awaitMillis(cluster::converged, CONVERGE_BOUND);
        long convergeMillis = converged < 0 ? -1 : converged - healed;
        pause(SETTLE);
        cluster.traffic(null);
        // Every future ends within its timeout; at-least-once streams may go on retransmitting after that.
        awaitMillis(() -> cluster.drained(false), Duration.ofMillis(options.settings().timeoutMs() + 3000));
        awaitMillis(() -> cluster.drained(true), STREAM_DRAIN);
        Map<Integer, JsonNode> reports = cluster.reports(phase);
        Detection detection = detection(fault.detections(victim, hosts), fault.affected(victim, hosts),
                cluster.events(), injected);
        Map<Integer, ProcessFigures> after = cluster.processes();
        List<HostFigures> figures = new ArrayList<>();
        for (int i = 1; i <= hosts; i++) {
            figures.add(new HostFigures(HostSpec.hostId(i), before.get(i), after.get(i)));
        }
        return new FaultResult(fault, description, healed - injected, detection, convergeMillis,
                new Figures(reports, fault.killed(victim), fault.frozen(victim), hosts).all(), figures);
    }

    /**
     * For each pair (observer, target): the observer's first link-down event for the target after the injection.
     * The figures are the earliest and the latest of those times, and the other drops, on links the fault acts on
     * and elsewhere.
     */
    static Detection detection(List<int[]> pairs, List<int[]> affected, Map<Integer, JsonNode> events,
                               long injected) {
        long min = Long.MAX_VALUE;
        long max = -1;
        int detected = 0;
        Set<String> expected = new HashSet<>();
        for (int[] p : pairs) {
            expected.add(p[0] + ">" + p[1]);
            long first = Long.MAX_VALUE;
            for (JsonNode e : events.get(p[0])) {
                if (isDrop(e, injected) && e.path("remote").asText().equals(HostSpec.hostId(p[1]))) {
                    first = Math.min(first, e.path("at").asLong() - injected);
                }
            }
            if (first != Long.MAX_VALUE) {
                detected++;
                min = Math.min(min, first);
                max = Math.max(max, first);
            }
        }
        Set<String> acted = new HashSet<>();
        for (int[] p : affected) {
            acted.add(p[0] + ">" + p[1]);
        }
        int more = 0;
        int collateral = 0;
        for (Map.Entry<Integer, JsonNode> byObserver : events.entrySet()) {
            for (JsonNode e : byObserver.getValue()) {
                String pair = byObserver.getKey() + ">" + e.path("remote").asText().substring(1);
                if (!isDrop(e, injected) || expected.contains(pair)) {
                    continue;
                }
                if (acted.contains(pair)) {
                    more++;
                } else {
                    collateral++;
                }
            }
        }
        return new Detection(pairs.size(), detected, detected == 0 ? -1 : min, max, more, collateral);
    }

    private static boolean isDrop(JsonNode event, long after) {
        return !event.path("what").asText().equals("up") && event.path("at").asLong() >= after;
    }

    /** Polls until {@code condition} holds; returns the wall clock time it did, or -1 after {@code bound}. */
    private static long awaitMillis(BooleanSupplier condition, Duration bound) {
        long deadline = System.nanoTime() + bound.toNanos();
        while (System.nanoTime() < deadline) {
            if (condition.getAsBoolean()) {
                return System.currentTimeMillis();
            }
            pause(POLL);
        }
        return -1;
    }

    /** The bench's own pacing: how long a fault lasts, how often it polls. */
    private static void pause(Duration d) {
        try {
            Thread.sleep(d.toMillis());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted", e);
        }
    }

    /** Kills the hosts, then removes the namespaces; once, whoever calls first (the run's end or the hook). */
    private void tearDown() {
        if (!tornDown.compareAndSet(false, true)) {
            return;
        }
        Cluster c = cluster;
        if (c != null) {
            if (Thread.currentThread().getName().equals("netbench-teardown")) {
                c.kill();
            } else {
                c.close();
            }
        }
        Namespaces n = net;
        if (n != null) {
            n.close();
        }
    }

    private static void deleteTree(Path dir) {
        try (Stream<Path> files = Files.walk(dir)) {
            files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (IOException e) {
            // a temp directory: the system cleans it up eventually
        }
    }

    /**
     * What a run does.
     *
     * @param hosts    host JVMs, one per namespace (at least 2)
     * @param duration the faults' share: each fault lasts about {@code duration / faults} minus 2 s of traffic
     *                 around it, never less than the idle timeout and a bit, so its dead links are seen
     */
    public record Options(int hosts, Duration duration, List<Fault> faults, BenchSettings settings) {
        public Options {
            if (hosts < 2) {
                throw new IllegalArgumentException("hosts: at least 2, was " + hosts);
            }
            faults = List.copyOf(faults);
            if (faults.isEmpty()) {
                throw new IllegalArgumentException("faults: at least one");
            }
        }

        /**
         * Every fault, the library's keepalive defaults (a PING after 1 s without a write, a link dead after 5 s
         * without a read), re-dials from 200 ms doubling to 2 s, members given up after 60 s, 5 s timeouts for
         * confirmed sends, at-least-once sends and requests, and a round of traffic every 100 ms.
         */
        public static Options defaults(int hosts, Duration duration) {
            return new Options(hosts, duration, List.of(Fault.values()),
                    new BenchSettings(1000, 5000, 200, 2000, 60_000, 5000, 100));
        }

        public Options withFaults(List<Fault> list) {
            return new Options(hosts, duration, list, settings);
        }

        /** Keepalive: a PING after {@code heartbeat} without a write, a link dead after {@code idle} without a read. */
        public Options withKeepalive(Duration heartbeat, Duration idle) {
            return withSettings(settings.withKeepalive(heartbeat.toMillis(), idle.toMillis()));
        }

        /** How long confirmed sends, at-least-once sends and requests wait. */
        public Options withTimeout(Duration timeout) {
            return withSettings(settings.withTimeout(timeout.toMillis()));
        }

        /**
         * After how long without a link a member is given up. A fault held longer splits the network for good:
         * nobody joins again by itself.
         */
        public Options withGiveUp(Duration giveUp) {
            return withSettings(settings.withGiveUp(giveUp.toMillis()));
        }

        public Options withSettings(BenchSettings s) {
            return new Options(hosts, duration, faults, s);
        }

        /** How long each fault lasts. */
        public Duration hold() {
            long share = duration.toMillis() / faults.size() - WARM.toMillis() - SETTLE.toMillis();
            return Duration.ofMillis(Math.max(settings.idleMs() + 1500, share));
        }
    }

    /**
     * A run's results, and what it left behind to check: its namespace prefix and every JVM it started.
     */
    public record Report(Options options, String prefix, List<FaultResult> faults, List<Long> hostPids,
                         Duration elapsed) {
        /**
         * What broke a promise of GUARANTEES.md, or a bound the bench holds the library to, one line each: a future
         * that never ended or ended well after its timeout, an untyped failure, an at-least-once message lost,
         * duplicated or reordered, a confirmed one completed but not delivered, any duplicate, a queue-group message
         * delivered twice, a dead link not seen within the fault, membership not converged after the heal. Empty
         * when the run kept every one.
         */
        public List<String> violations() {
            List<String> v = new ArrayList<>();
            for (FaultResult r : faults) {
                String f = r.description() + ": ";
                for (FaultResult.ModeFigures m : r.modes()) {
                    if (m.hung() > 0) {
                        v.add(f + m.mode() + ": " + m.hung() + " futures never ended");
                    }
                    if (m.late() > 0) {
                        v.add(f + m.mode() + ": " + m.late() + " futures ended more than "
                                + Traffic.LATE_SLACK.toSeconds() + " s after their timeout");
                    }
                    if (m.untyped() > 0) {
                        v.add(f + m.mode() + ": " + m.untyped() + " failures not typed " + m.failed());
                    }
                    if (m.lost() > 0) {
                        v.add(f + m.mode() + ": " + m.lost() + " lost");
                    }
                    if (m.duplicated() > 0) {
                        v.add(f + m.mode() + ": " + m.duplicated() + " duplicated");
                    }
                    if (m.reordered() > 0) {
                        v.add(f + m.mode() + ": " + m.reordered() + " reordered");
                    }
                }
                if (!r.detection().complete()) {
                    v.add(f + "only " + r.detection().detected() + " of " + r.detection().expected()
                            + " dead links seen");
                }
                if (r.convergeMillis() < 0) {
                    v.add(f + "membership did not converge within " + CONVERGE_BOUND.toSeconds() + " s of the heal");
                }
            }
            return v;
        }
    }
}

package io.meshbus.bench.soak;

import io.meshbus.bench.Heap;
import io.meshbus.bench.Options;
import io.meshbus.bench.Result;
import io.meshbus.bench.Waits;
import io.meshbus.bench.soak.FaultSchedule.Fault;
import io.meshbus.bench.soak.SoakScenario.Mode;
import io.meshbus.bus.Host;
import io.meshbus.bus.Peer;
import io.meshbus.chaos.ChaosProxy;
import io.meshbus.message.Message;
import io.meshbus.node.NodeListener;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryMXBean;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAccumulator;
import java.util.concurrent.atomic.LongAdder;
import org.HdrHistogram.Histogram;

/**
 * One soak run: sets up its hosts, proxy and flows, runs the sender and the fault schedule, drains, and turns what
 * the flows counted into figures.
 *
 * <p>Threads: {@link #run} on the caller's thread, which starts the sender and the fault schedule on their own;
 * {@link #received} on the hosts' listener threads (each flow's messages come through one listener, one at a time).
 */
final class SoakRun implements AutoCloseable, FaultSchedule.Link {
    private static final Duration HEARTBEAT = Duration.ofMillis(200);
    private static final Duration RECONNECT = Duration.ofMillis(50);
    /** Long enough that no fault makes a host forget the other's peers: that would be a different test. */
    private static final Duration RECONNECT_TIMEOUT = Duration.ofMinutes(5);
    private static final Duration LIFECYCLE = Waits.LIFECYCLE;
    /** What the hosts may add to a future's timeout: they sweep timeouts periodically, on a busy executor. */
    private static final Duration SLACK = Duration.ofSeconds(2);
    /** How long messages may take to arrive after the sender stopped and the futures ended. */
    private static final Duration DRAIN = Duration.ofSeconds(20);
    /**
     * The drain ends early once nothing arrived for this long: more than an at-least-once retransmission interval
     * (1 s by default), so a resend after the last fault still counts.
     */
    private static final Duration QUIET = Duration.ofSeconds(3);
    private static final double MIB = 1024.0 * 1024.0;

    private final Options options;
    private final int size;
    private final MemoryMXBean memory = ManagementFactory.getMemoryMXBean();
    private final LongAccumulator heapMax = new LongAccumulator(Math::max, 0);
    /** Filled by setUp before any message is sent, read-only afterwards. */
    private final List<Flow> flows = new ArrayList<>();
    /** Messages no flow expects: a malformed payload, or one that came the wrong way. */
    private final LongAdder unexpected = new LongAdder();
    private final AtomicLong dialerConnects = new AtomicLong();
    private final AtomicLong dialerDisconnects = new AtomicLong();
    private final long t0 = System.nanoTime();
    private Host dialled;
    private Host dialer;
    private ChaosProxy proxy;

    SoakRun(Options options) {
        this.options = options;
        this.size = Math.max(Flow.HEADER, options.size());
    }

    List<Result> run() throws Exception {
        setUp();
        long heapStart = Heap.usedAfterGc();
        sampleHeap();
        progress("linked through the proxy; heap %.1f MiB after GC; sending %,d msgs/s per mode for %.1f s, a "
                + "fault every %.1f s", heapStart / MIB, options.rate(), options.measure().toMillis() / 1e3,
                options.faultEvery().toMillis() / 1e3);

        FaultSchedule faults = new FaultSchedule(proxy, options.faultEvery(), this);
        SoakSender sender = new SoakSender(flows, size, options.rate(), options.measure(), this::sampleHeap);
        Thread faultThread = Waits.daemon(faults, "soak-faults");
        Thread senderThread = Waits.daemon(sender, "soak-sender");
        boolean senderStopped = Waits.join(senderThread, options.measure().plus(LIFECYCLE));
        faults.stop();
        boolean faultsStopped = Waits.join(faultThread,
                FaultSchedule.LINK_BACK.plus(FaultSchedule.BREAK_NOTICED).plus(LIFECYCLE));
        if (!senderStopped || !faultsStopped) {
            sender.stop();
            throw new TimeoutException("the " + (senderStopped ? "fault" : "sender") + " thread did not stop");
        }
        if (sender.failure() != null) {
            throw new IllegalStateException("the sender failed: " + sender.failure(), sender.failure());
        }
        // Whatever fault the stop interrupted, nothing of it may outlive the sending: the drain needs the link.
        proxy.resume();
        proxy.delay(Duration.ZERO);
        proxy.refuse(false);
        List<String> linkWarnings = faults.warnings();
        if (!Waits.waitFor(this::linked, FaultSchedule.LINK_BACK)) {
            linkWarnings.add("the link was not back " + FaultSchedule.LINK_BACK.toSeconds()
                    + " s after the last fault");
        }
        Map<Mode, Long> unfinished = awaitFutures();
        awaitDeliveries();
        sampleHeap();
        long heapEnd = Heap.usedAfterGc();
        progress("drained after %.1f s; heap %.1f MiB after GC, at most %.1f MiB in use", seconds(),
                heapEnd / MIB, heapMax.get() / MIB);
        List<Result> out = new ArrayList<>();
        for (Mode mode : Mode.values()) {
            modeResults(mode, sender.behind(), unfinished.getOrDefault(mode, 0L), out);
        }
        if (unexpected.sum() > 0) {
            // A run-wide doubt, so it goes with the first figure.
            Result first = out.get(0);
            List<String> w = new ArrayList<>(first.warnings());
            w.add(String.format("%,d messages arrived that no flow sent that way", unexpected.sum()));
            out.set(0, figure(first.figure(), first.value(), first.unit(), w));
        }
        linkResults(faults, linkWarnings, out);
        heapResults(heapStart, heapEnd, out);
        return out;
    }

    // ------------------------------------------------------------------ set-up

    private void setUp() throws Exception {
        // The dialer gets the smaller id, so it arbitrates the pair: its fresh re-dial replaces a link the other
        // side still believes in (after a half-open fault) at once, as in ChaosTest.
        dialled = Waits.await(host("soak-b", true).start());
        proxy = ChaosProxy.to(dialled.info());
        dialer = host("soak-a", false);
        dialer.node().addListener(new NodeListener() {
            @Override
            public void onConnect(ConnectEvent event) {
                dialerConnects.incrementAndGet();
            }

            @Override
            public void onDisconnect(DisconnectEvent event) {
                dialerDisconnects.incrementAndGet();
            }
        });
        Waits.await(dialer.start());
        Peer a = dialer.create("soak-pa");
        Peer b = dialled.create("soak-pb");
        for (Mode m : Mode.values()) {
            flows.add(new Flow(flows.size(), m, a, b.id(), "soak." + a.id()));
            flows.add(new Flow(flows.size(), m, b, a.id(), "soak." + b.id()));
        }
        a.onMessage((from, msg) -> received(msg, a.id(), false));
        b.onMessage((from, msg) -> received(msg, b.id(), false));
        Waits.await(dialer.join(proxy.uri()));
        // Subscribed after the join: the future completes once every member knows, so no publish misses them.
        Waits.await(a.subscribe("soak." + b.id(), (from, msg) -> received(msg, a.id(), true)));
        Waits.await(b.subscribe("soak." + a.id(), (from, msg) -> received(msg, b.id(), true)));
        // The first send to an unknown peer waits for the directory; faults are the subject, not that.
        Waits.await(dialer.find(b.id()));
        Waits.await(dialled.find(a.id()));
        if (!Waits.waitFor(this::linked, LIFECYCLE)) {
            throw new TimeoutException("the hosts were not linked " + LIFECYCLE.toSeconds() + " s after the join");
        }
    }

    private static Host host(String id, boolean listens) {
        var b = Host.builder().id(id).reconnectDelay(RECONNECT).reconnectDecay(1.0)
                .reconnectTimeout(RECONNECT_TIMEOUT).requestTimeout(SoakScenario.SEND_TIMEOUT)
                .node(n -> n.heartbeatInterval(HEARTBEAT).idleTimeout(SoakScenario.IDLE)
                        .handshakeTimeout(Duration.ofSeconds(2)).connectTimeout(Duration.ofSeconds(2)));
        if (listens) {
            // Only this one listens: the other can only dial it, through the proxy, and is never dialled back.
            b.listen("tcp://127.0.0.1:0");
        }
        return b.build();
    }

    @Override
    public long disconnects() {
        return dialerDisconnects.get();
    }

    @Override
    public boolean linked() {
        return dialer.node().isConnected(dialled.id()) && dialled.node().isConnected(dialer.id())
                && dialer.members().contains(dialled.id()) && dialled.members().contains(dialer.id());
    }

    // ------------------------------------------------------------------ receiving

    /** Every listener ends here; a flow's messages come through one listener, one at a time. */
    private void received(Message m, String receiver, boolean channel) {
        long now = System.nanoTime();
        ByteBuffer p = m.payload();
        if (p.remaining() != size) {
            unexpected.increment();
            return;
        }
        int index = p.get() & 0xff;
        long seq = p.getLong();
        long sentAt = p.getLong();
        Flow f = index < flows.size() ? flows.get(index) : null;
        if (f == null || seq < 0 || !f.to.equals(receiver) || (f.mode == Mode.PUBLISH) != channel) {
            unexpected.increment();
            return;
        }
        f.tracker.received(seq, now - sentAt);
    }

    // ------------------------------------------------------------------ the end

    /** Waits for every future of the run; returns the number still unfinished per mode (none, if all is well). */
    private Map<Mode, Long> awaitFutures() throws InterruptedException {
        long deadline = System.nanoTime() + SoakScenario.SEND_TIMEOUT.plus(SLACK).plus(SLACK).toNanos();
        Map<Mode, Long> unfinished = new EnumMap<>(Mode.class);
        for (Flow f : flows) {
            if (!f.mode.hasFuture()) {
                continue;
            }
            long left = Math.max(0, deadline - System.nanoTime());
            if (f.window.tryAcquire(SoakScenario.WINDOW, left, TimeUnit.NANOSECONDS)) {
                f.window.release(SoakScenario.WINDOW);
            } else {
                unfinished.merge(f.mode, (long) (SoakScenario.WINDOW - f.window.availablePermits()), Long::sum);
            }
        }
        return unfinished;
    }

    /** Waits until every flow has what it should, or nothing arrived for {@link #QUIET}, or {@link #DRAIN}. */
    private void awaitDeliveries() throws InterruptedException {
        long deadline = System.nanoTime() + DRAIN.toNanos();
        long last = -1;
        long quietSince = System.nanoTime();
        while (true) {
            long now = System.nanoTime();
            long arrived = 0;
            boolean complete = true;
            for (Flow f : flows) {
                arrived += f.tracker.arrivals();
                complete &= f.complete();
            }
            if (arrived != last) {
                last = arrived;
                quietSince = now;
            }
            if (complete || now - quietSince >= QUIET.toNanos() || now - deadline >= 0) {
                return;
            }
            Thread.sleep(50);
        }
    }

    private void modeResults(Mode mode, long behind, long unfinished, List<Result> out) {
        long sent = 0;
        long delivered = 0;
        long duplicated = 0;
        long reordered = 0;
        long untracked = 0;
        long unverified = 0;
        long windowFull = 0;
        Map<String, Long> failed = new TreeMap<>();
        Histogram latency = new Histogram(SequenceTracker.HIGHEST_LATENCY_MICROS, 3);
        for (Flow f : flows) {
            if (f.mode != mode) {
                continue;
            }
            sent += f.sent.get();
            windowFull += f.windowFull.get();
            f.failed.forEach((type, n) -> failed.merge(type, n.sum(), Long::sum));
            SequenceTracker.Counts c = f.tracker.counts();
            delivered += c.delivered();
            duplicated += c.duplicated();
            reordered += c.reordered();
            untracked += c.untracked();
            unverified += c.unverified();
            latency.add(c.latency());
        }
        long failedTotal = failed.values().stream().mapToLong(Long::longValue).sum();
        long lost = switch (mode) {
            // A completed future promised delivery: what never arrived is lost; failed ones are not.
            case CONFIRMED -> unverified;
            // Taken: not refused at once. Every one taken must arrive, whatever its future said.
            case AT_LEAST_ONCE -> Math.max(0, sent - failed.getOrDefault("BackPressureException", 0L) - delivered);
            default -> Math.max(0, sent - delivered);
        };
        List<String> sentWarnings = new ArrayList<>();
        if (windowFull > 0) {
            sentWarnings.add(String.format("%,d messages not sent: %,d futures were unfinished already",
                    windowFull, SoakScenario.WINDOW));
        }
        if (behind > 0 && mode == Mode.FIRE_AND_FORGET) {
            sentWarnings.add(String.format("the sender fell behind the rate and skipped %,d sends (all modes)",
                    behind));
        }
        List<String> lostWarnings = new ArrayList<>();
        if (lost > 0 && mode == Mode.CONFIRMED) {
            lostWarnings.add(String.format("%,d confirmed sends completed, but their message had not reached the "
                    + "listener when the drain ended", lost));
        } else if (lost > 0 && mode == Mode.AT_LEAST_ONCE) {
            lostWarnings.add(String.format("%,d messages taken by sendAtLeastOnce had not arrived when the drain "
                    + "ended", lost));
        }
        List<String> duplicateWarnings = duplicated == 0 ? List.of()
                : List.of(String.format("%,d messages arrived twice", duplicated));
        List<String> orderWarnings = new ArrayList<>();
        if (reordered > 0) {
            orderWarnings.add(String.format("%,d messages arrived after a later one of the same sender", reordered));
        }
        if (untracked > 0) {
            orderWarnings.add(String.format("%,d messages arrived more than %,d behind the latest: not told apart "
                    + "from duplicates, counted as reordered", untracked, SoakScenario.TRACKED));
        }
        List<String> failedWarnings = unfinished == 0 ? List.of() : List.of(String.format("%,d futures had not "
                + "ended %d s after their timeout", unfinished, SLACK.multipliedBy(2).toSeconds()));
        String m = mode.label + ".";
        out.add(figure(m + "sent", sent, "msgs", sentWarnings));
        out.add(figure(m + "delivered", delivered, "msgs", List.of()));
        out.add(figure(m + "lost", lost, "msgs", lostWarnings));
        out.add(figure(m + "duplicated", duplicated, "msgs", duplicateWarnings));
        out.add(figure(m + "reordered", reordered + untracked, "msgs", orderWarnings));
        out.add(figure(m + "failed", failedTotal, "msgs", failedWarnings));
        failed.forEach((type, n) -> out.add(figure(m + "failed." + type, n, "msgs", List.of())));
        boolean none = latency.getTotalCount() == 0;
        out.add(figure(m + "p50", none ? Double.NaN : latency.getValueAtPercentile(50), "us", List.of()));
        out.add(figure(m + "p99", none ? Double.NaN : latency.getValueAtPercentile(99), "us", List.of()));
        out.add(figure(m + "max", none ? Double.NaN : latency.getMaxValue(), "us", List.of()));
    }

    private void linkResults(FaultSchedule faults, List<String> linkWarnings, List<Result> out) {
        for (Fault fault : Fault.values()) {
            out.add(figure("faults." + fault.label, faults.injected(fault), "faults", List.of()));
        }
        out.add(figure("links.reconnects", Math.max(0, dialerConnects.get() - 1), "links", linkWarnings));
        for (String counter : List.of("dropped", "publishesRefused")) {
            out.add(figure("drops." + counter, dialer.metrics().getOrDefault(counter, 0L)
                    + dialled.metrics().getOrDefault(counter, 0L), "msgs", List.of()));
        }
        for (String counter : List.of("messagesDropped", "messagesFailed", "messagesLostInFlight")) {
            out.add(figure("drops." + counter, dialer.node().metrics().snapshot().getOrDefault(counter, 0L)
                    + dialled.node().metrics().snapshot().getOrDefault(counter, 0L), "msgs", List.of()));
        }
    }

    private void heapResults(long heapStart, long heapEnd, List<Result> out) {
        List<String> heapWarnings = new ArrayList<>();
        long max = Runtime.getRuntime().maxMemory();
        if (heapMax.get() > 0.9 * max) {
            heapWarnings.add(String.format("the heap came within 10%% of its limit of %.1f MiB", max / MIB));
        }
        out.add(figure("heap.start", heapStart / MIB, "MiB", List.of()));
        out.add(figure("heap.end", heapEnd / MIB, "MiB", List.of()));
        out.add(figure("heap.max", heapMax.get() / MIB, "MiB", heapWarnings));
    }

    private static Result figure(String figure, double value, String unit, List<String> warnings) {
        return new Result("soak", figure, value, unit, Double.NaN, warnings);
    }

    private void sampleHeap() {
        heapMax.accumulate(memory.getHeapMemoryUsage().getUsed());
    }

    @Override
    public void close() {
        for (Host h : new Host[] {dialer, dialled}) {
            if (h != null) {
                try {
                    Waits.await(h.close());
                } catch (Exception e) {
                    progress("closing host %s failed: %s", h.id(), e);
                }
            }
        }
        if (proxy != null) {
            proxy.close();
        }
    }

    private double seconds() {
        return (System.nanoTime() - t0) / 1e9;
    }

    @Override
    public void progress(String format, Object... args) {
        System.err.printf("soak: %6.1f s: %s%n", seconds(), String.format(format, args));
    }
}

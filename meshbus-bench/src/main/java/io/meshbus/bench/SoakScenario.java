package io.meshbus.bench;

import io.meshbus.bus.Host;
import io.meshbus.bus.Peer;
import io.meshbus.chaos.ChaosProxy;
import io.meshbus.codec.ContentType;
import io.meshbus.message.Headers;
import io.meshbus.message.Message;
import io.meshbus.node.NodeListener;
import io.meshbus.node.SendStatus;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryMXBean;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Queue;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAccumulator;
import java.util.concurrent.atomic.LongAdder;
import java.util.concurrent.locks.LockSupport;
import java.util.function.BooleanSupplier;
import org.HdrHistogram.Histogram;

/**
 * Every delivery mode under faults, for as long as asked, in this JVM: two hosts on 127.0.0.1, the dialer reaching
 * the other only through a {@link ChaosProxy} (it does not listen, so the first link and every re-dial cross the
 * proxy), a peer on each, and traffic both ways in four modes at a bounded rate: fire and forget, confirmed, at
 * least once, and publish/subscribe. Every {@code --fault-every} seconds the proxy breaks the link in turn: cut,
 * reset, stall then resume, delay, half-open until the idle timeout notices. At the end the sender stops, the
 * faults heal, outstanding futures and messages in flight get a bounded drain, and each mode is reported as sent,
 * delivered, lost, duplicated, reordered, failed (by type) and its delivery latency; then the faults injected, the
 * losses the hosts counted, and the heap, so a leak shows. There is no baseline (printed as null).
 *
 * <p>Each message carries its flow (sender and mode), a sequence number per flow and its send time (nanoTime: one
 * JVM, one clock), so the receiving listener classifies it without any per-message state on the sender's side. What
 * is remembered per flow is bounded: a ring of {@link #TRACKED} bits of sequence numbers seen, a latency histogram,
 * and the confirmed sequence numbers not seen yet (at most {@link #MAX_UNVERIFIED}); futures are bounded by a window
 * of {@link #WINDOW} per flow. The process's memory therefore does not grow with the length of the run.
 */
final class SoakScenario implements Scenario {
    /** Confirmed and at-least-once sends per call, and the hosts' request timeout: short, so faults fail them. */
    static final Duration SEND_TIMEOUT = Duration.ofSeconds(3);
    /** Unfinished confirmed or at-least-once sends per flow, at most; {@code -Dmeshbus.bench.soak.window=N}. */
    static final int WINDOW = Integer.getInteger("meshbus.bench.soak.window", 8_192);
    /** Sequence numbers a flow's receiver remembers, behind the highest: far more than a fault keeps in flight. */
    static final int TRACKED = 1 << 20;
    /** Confirmed messages not (yet) seen at their receiver that are remembered one by one; past it, counted lost. */
    static final int MAX_UNVERIFIED = 100_000;

    /** Short, as in the core's ChaosTest: a half-open link is noticed within seconds, not minutes. */
    private static final Duration IDLE = Duration.ofSeconds(2);
    private static final Duration HEARTBEAT = Duration.ofMillis(200);
    private static final Duration RECONNECT = Duration.ofMillis(50);
    /** Long enough that no fault makes a host forget the other's peers: that would be a different test. */
    private static final Duration RECONNECT_TIMEOUT = Duration.ofMinutes(5);
    private static final Duration STALL = Duration.ofSeconds(1);
    private static final Duration DELAY = Duration.ofSeconds(1);
    private static final Duration DELAY_PER_CHUNK = Duration.ofMillis(50);
    /** How long a broken link may go unnoticed: the idle timeout, its check and a loaded machine together. */
    private static final Duration BREAK_NOTICED = IDLE.multipliedBy(3);
    private static final Duration LINK_BACK = Duration.ofSeconds(20);
    private static final Duration LIFECYCLE = Duration.ofSeconds(30);
    /** What the hosts may add to a future's timeout: they sweep timeouts periodically, on a busy executor. */
    private static final Duration SLACK = Duration.ofSeconds(2);
    /** How long messages may take to arrive after the sender stopped and the futures ended. */
    private static final Duration DRAIN = Duration.ofSeconds(20);
    /**
     * The drain ends early once nothing arrived for this long: more than an at-least-once retransmission interval
     * (1 s by default), so a resend after the last fault still counts.
     */
    private static final Duration QUIET = Duration.ofSeconds(3);
    private static final long TICK_NANOS = TimeUnit.MILLISECONDS.toNanos(1);
    private static final long HEAP_SAMPLE_NANOS = TimeUnit.MILLISECONDS.toNanos(100);
    /** The schedule is not caught up by more than this: a sender that fell behind skips instead of bursting. */
    private static final long MAX_CATCH_UP_NANOS = TimeUnit.MILLISECONDS.toNanos(100);
    /** A latency above this (one hour) is recorded as this: the histogram's range is fixed, so is its memory. */
    private static final long HIGHEST_LATENCY_MICROS = TimeUnit.HOURS.toMicros(1);
    /** Flow index (1 byte), sequence number (8), send time (8); {@code --size} pads the rest. */
    private static final int HEADER = 17;
    private static final double MIB = 1024.0 * 1024.0;
    private static final int MAX_WARNINGS = 20;

    /** A delivery mode, as it is named in the figures. */
    enum Mode {
        FIRE_AND_FORGET("fire-and-forget"), CONFIRMED("confirmed"), AT_LEAST_ONCE("at-least-once"),
        PUBLISH("publish");

        final String label;

        Mode(String label) {
            this.label = label;
        }

        boolean hasFuture() {
            return this == CONFIRMED || this == AT_LEAST_ONCE;
        }
    }

    /** A fault of the proxy, in the order they take turns, as named in the figures. */
    enum Fault {
        CUT("cut"), RESET("reset"), STALL("stall"), DELAY("delay"), HALF_OPEN("half-open");

        final String label;

        Fault(String label) {
            this.label = label;
        }
    }

    @Override
    public String name() {
        return "soak";
    }

    @Override
    public String description() {
        return "every delivery mode both ways between two hosts whose link a chaos proxy breaks every few seconds: "
                + "losses, duplicates, order, latency, heap; no baseline";
    }

    @Override
    public List<Result> run(Options o) throws Exception {
        try (Soak soak = new Soak(o)) {
            return soak.run();
        }
    }

    /** One run: its hosts, proxy, flows and threads. */
    private static final class Soak implements AutoCloseable {
        private final Options options;
        private final int size;
        private final MemoryMXBean memory = ManagementFactory.getMemoryMXBean();
        private final LongAccumulator heapMax = new LongAccumulator(Math::max, 0);
        private final List<Flow> flows = new ArrayList<>();
        /** Messages no flow expects: a malformed payload, or one that came the wrong way. */
        private final LongAdder unexpected = new LongAdder();
        private final AtomicLong dialerConnects = new AtomicLong();
        private final AtomicLong dialerDisconnects = new AtomicLong();
        private final long t0 = System.nanoTime();
        private Host dialled;
        private Host dialer;
        private ChaosProxy proxy;

        Soak(Options options) {
            this.options = options;
            this.size = Math.max(HEADER, options.size());
        }

        List<Result> run() throws Exception {
            setUp();
            long heapStart = BusScaleScenario.heapUsedAfterGc();
            heapMax.accumulate(memory.getHeapMemoryUsage().getUsed());
            progress("linked through the proxy; heap %.1f MiB after GC; sending %,d msgs/s per mode for %.1f s, a "
                    + "fault every %.1f s", heapStart / MIB, options.rate(), options.measure().toMillis() / 1e3,
                    options.faultEvery().toMillis() / 1e3);

            Faults faults = new Faults();
            Sender sender = new Sender();
            Thread faultThread = thread(faults, "soak-faults");
            Thread senderThread = thread(sender, "soak-sender");
            boolean senderStopped = join(senderThread, options.measure().plus(LIFECYCLE));
            faults.stop.countDown();
            boolean faultsStopped = join(faultThread, LINK_BACK.plus(BREAK_NOTICED).plus(LIFECYCLE));
            if (!senderStopped || !faultsStopped) {
                sender.stop = true;
                throw new TimeoutException("the " + (senderStopped ? "fault" : "sender") + " thread did not stop");
            }
            if (sender.failure != null) {
                throw new IllegalStateException("the sender failed: " + sender.failure, sender.failure);
            }
            // Whatever fault the stop interrupted, nothing of it may outlive the sending: the drain needs the link.
            proxy.resume();
            proxy.delay(Duration.ZERO);
            proxy.refuse(false);
            List<String> linkWarnings = faults.warnings();
            if (!waitFor(this::linked, LINK_BACK)) {
                linkWarnings.add("the link was not back " + LINK_BACK.toSeconds() + " s after the last fault");
            }
            Map<Mode, Long> unfinished = awaitFutures();
            awaitDeliveries();
            heapMax.accumulate(memory.getHeapMemoryUsage().getUsed());
            long heapEnd = BusScaleScenario.heapUsedAfterGc();
            progress("drained after %.1f s; heap %.1f MiB after GC, at most %.1f MiB in use", seconds(),
                    heapEnd / MIB, heapMax.get() / MIB);
            return results(sender, faults, unfinished, linkWarnings, heapStart, heapEnd);
        }

        // -------------------------------------------------------------- set-up

        private void setUp() throws Exception {
            // The dialer gets the smaller id, so it arbitrates the pair: its fresh re-dial replaces a link the other
            // side still believes in (after a half-open fault) at once, as in ChaosTest.
            dialled = await(host("soak-b", true).start(), LIFECYCLE);
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
            await(dialer.start(), LIFECYCLE);
            Peer a = dialer.create("soak-pa");
            Peer b = dialled.create("soak-pb");
            for (Mode m : Mode.values()) {
                flows.add(new Flow(flows.size(), m, a, b.id(), "soak." + a.id()));
                flows.add(new Flow(flows.size(), m, b, a.id(), "soak." + b.id()));
            }
            a.onMessage((from, msg) -> received(msg, a.id(), false));
            b.onMessage((from, msg) -> received(msg, b.id(), false));
            await(dialer.join(proxy.uri()), LIFECYCLE);
            // Subscribed after the join: the future completes once every member knows, so no publish misses them.
            await(a.subscribe("soak." + b.id(), (from, msg) -> received(msg, a.id(), true)), LIFECYCLE);
            await(b.subscribe("soak." + a.id(), (from, msg) -> received(msg, b.id(), true)), LIFECYCLE);
            // The first send to an unknown peer waits for the directory; faults are the subject, not that.
            await(dialer.find(b.id()), LIFECYCLE);
            await(dialled.find(a.id()), LIFECYCLE);
            if (!waitFor(this::linked, LIFECYCLE)) {
                throw new TimeoutException("the hosts were not linked " + LIFECYCLE.toSeconds() + " s after the join");
            }
        }

        private static Host host(String id, boolean listens) {
            var b = Host.builder().id(id).reconnectDelay(RECONNECT).reconnectDecay(1.0)
                    .reconnectTimeout(RECONNECT_TIMEOUT).requestTimeout(SEND_TIMEOUT)
                    .node(n -> n.heartbeatInterval(HEARTBEAT).idleTimeout(IDLE)
                            .handshakeTimeout(Duration.ofSeconds(2)).connectTimeout(Duration.ofSeconds(2)));
            if (listens) {
                // Only this one listens: the other can only dial it, through the proxy, and is never dialled back.
                b.listen("tcp://127.0.0.1:0");
            }
            return b.build();
        }

        private boolean linked() {
            return dialer.node().isConnected(dialled.id()) && dialled.node().isConnected(dialer.id())
                    && dialer.members().contains(dialled.id()) && dialled.members().contains(dialer.id());
        }

        // -------------------------------------------------------------- receiving

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

        // -------------------------------------------------------------- the end

        /** Waits for every future of the run; returns the number still unfinished per mode (none, if all is well). */
        private Map<Mode, Long> awaitFutures() throws InterruptedException {
            long deadline = System.nanoTime() + SEND_TIMEOUT.plus(SLACK).plus(SLACK).toNanos();
            Map<Mode, Long> unfinished = new EnumMap<>(Mode.class);
            for (Flow f : flows) {
                if (!f.mode.hasFuture()) {
                    continue;
                }
                long left = Math.max(0, deadline - System.nanoTime());
                if (f.window.tryAcquire(WINDOW, left, TimeUnit.NANOSECONDS)) {
                    f.window.release(WINDOW);
                } else {
                    unfinished.merge(f.mode, (long) (WINDOW - f.window.availablePermits()), Long::sum);
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

        private List<Result> results(Sender sender, Faults faults, Map<Mode, Long> unfinished,
                                     List<String> linkWarnings, long heapStart, long heapEnd) {
            List<Result> out = new ArrayList<>();
            for (Mode mode : Mode.values()) {
                modeResults(mode, sender, unfinished.getOrDefault(mode, 0L), out);
            }
            if (unexpected.sum() > 0) {
                // A run-wide doubt, so it goes with the first figure.
                Result first = out.get(0);
                List<String> w = new ArrayList<>(first.warnings());
                w.add(String.format("%,d messages arrived that no flow sent that way", unexpected.sum()));
                out.set(0, figure(first.figure(), first.value(), first.unit(), w));
            }
            for (Fault fault : Fault.values()) {
                out.add(figure("faults." + fault.label, faults.injected.get(fault).get(), "faults", List.of()));
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
            List<String> heapWarnings = new ArrayList<>();
            long max = Runtime.getRuntime().maxMemory();
            if (heapMax.get() > 0.9 * max) {
                heapWarnings.add(String.format("the heap came within 10%% of its limit of %.1f MiB", max / MIB));
            }
            out.add(figure("heap.start", heapStart / MIB, "MiB", List.of()));
            out.add(figure("heap.end", heapEnd / MIB, "MiB", List.of()));
            out.add(figure("heap.max", heapMax.get() / MIB, "MiB", heapWarnings));
            return out;
        }

        private void modeResults(Mode mode, Sender sender, long unfinished, List<Result> out) {
            long sent = 0;
            long delivered = 0;
            long duplicated = 0;
            long reordered = 0;
            long untracked = 0;
            long unverified = 0;
            long windowFull = 0;
            Map<String, Long> failed = new TreeMap<>();
            Histogram latency = new Histogram(HIGHEST_LATENCY_MICROS, 3);
            for (Flow f : flows) {
                if (f.mode != mode) {
                    continue;
                }
                sent += f.sent.get();
                windowFull += f.windowFull.get();
                f.failed.forEach((type, n) -> failed.merge(type, n.sum(), Long::sum));
                Tracker t = f.tracker;
                synchronized (t) {
                    delivered += t.delivered;
                    duplicated += t.duplicated;
                    reordered += t.reordered;
                    untracked += t.untracked;
                    unverified += t.unverified.size() + t.unverifiedOverflow;
                    latency.add(t.latency);
                }
            }
            long failedTotal = failed.values().stream().mapToLong(Long::longValue).sum();
            long lost = switch (mode) {
                // A completed future promised delivery: what never arrived is lost; failed ones are not.
                case CONFIRMED -> unverified;
                // Taken: not refused at once. Every one taken must arrive, whatever its future said.
                case AT_LEAST_ONCE -> Math.max(0, sent - failed.getOrDefault("BackPressureException", 0L)
                        - delivered);
                default -> Math.max(0, sent - delivered);
            };
            List<String> sentWarnings = new ArrayList<>();
            if (windowFull > 0) {
                sentWarnings.add(String.format("%,d messages not sent: %,d futures were unfinished already",
                        windowFull, WINDOW));
            }
            if (sender.behind > 0 && mode == Mode.FIRE_AND_FORGET) {
                sentWarnings.add(String.format("the sender fell behind the rate and skipped %,d sends (all modes)",
                        sender.behind));
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
                orderWarnings.add(String.format("%,d messages arrived after a later one of the same sender",
                        reordered));
            }
            if (untracked > 0) {
                orderWarnings.add(String.format("%,d messages arrived more than %,d behind the latest: not told "
                        + "apart from duplicates, counted as reordered", untracked, TRACKED));
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

        private static Result figure(String figure, double value, String unit, List<String> warnings) {
            return new Result("soak", figure, value, unit, Double.NaN, warnings);
        }

        @Override
        public void close() {
            for (Host h : new Host[] {dialer, dialled}) {
                if (h != null) {
                    try {
                        await(h.close(), LIFECYCLE);
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

        private void progress(String format, Object... args) {
            System.err.printf("soak: %6.1f s: %s%n", seconds(), String.format(format, args));
        }

        // -------------------------------------------------------------- sending

        /** Sends every flow's share of the rate on one thread, paced by the clock, for {@code --seconds}. */
        private final class Sender implements Runnable {
            volatile boolean stop;
            /** Read after the thread ended. */
            long behind;
            Throwable failure;

            @Override
            public void run() {
                try {
                    double perFlowPerNano = options.rate() / 2.0 / 1e9;
                    long start = System.nanoTime();
                    long end = start + options.measure().toNanos();
                    long nextSample = start;
                    long[] due = new long[flows.size()];
                    long now;
                    while (!stop && (now = System.nanoTime()) - end < 0) {
                        long target = (long) ((now - start) * perFlowPerNano);
                        long catchUp = Math.max(1, (long) (MAX_CATCH_UP_NANOS * perFlowPerNano));
                        for (Flow f : flows) {
                            if (target - due[f.index] > catchUp) {
                                behind += target - due[f.index] - catchUp;
                                due[f.index] = target - catchUp;
                            }
                            while (due[f.index] < target) {
                                due[f.index]++;
                                f.send(size);
                            }
                        }
                        if (now - nextSample >= 0) {
                            heapMax.accumulate(memory.getHeapMemoryUsage().getUsed());
                            nextSample = now + HEAP_SAMPLE_NANOS;
                        }
                        LockSupport.parkNanos(TICK_NANOS);
                    }
                } catch (Throwable t) {
                    failure = t;
                }
            }
        }

        // -------------------------------------------------------------- faults

        /** Injects one fault every {@code --fault-every}, in turn, each healed before the next interval starts. */
        private final class Faults implements Runnable {
            final CountDownLatch stop = new CountDownLatch(1);
            final Map<Fault, AtomicLong> injected = new EnumMap<>(Fault.class);
            /** The first {@link #MAX_WARNINGS} only: a run of days with a bad link must not grow a list. */
            final Queue<String> warnings = new ConcurrentLinkedQueue<>();
            final AtomicLong moreWarnings = new AtomicLong();

            Faults() {
                for (Fault f : Fault.values()) {
                    injected.put(f, new AtomicLong());
                }
            }

            @Override
            public void run() {
                try {
                    for (int i = 0; !stop.await(options.faultEvery().toNanos(), TimeUnit.NANOSECONDS); i++) {
                        inject(Fault.values()[i % Fault.values().length]);
                    }
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }

            private void inject(Fault fault) throws InterruptedException {
                long disconnects = dialerDisconnects.get();
                long at = System.nanoTime();
                injected.get(fault).incrementAndGet();
                switch (fault) {
                    case CUT -> proxy.cut();
                    case RESET -> proxy.reset();
                    case STALL -> {
                        proxy.stall();
                        // The stall's length; the stop ends it early so that the drain does not wait for it.
                        stop.await(STALL.toNanos(), TimeUnit.NANOSECONDS);
                        proxy.resume();
                    }
                    case DELAY -> {
                        proxy.delay(DELAY_PER_CHUNK);
                        stop.await(DELAY.toNanos(), TimeUnit.NANOSECONDS);
                        proxy.delay(Duration.ZERO);
                    }
                    case HALF_OPEN -> proxy.halfOpen();
                    default -> throw new IllegalStateException("unknown fault " + fault);
                }
                boolean breaks = fault == Fault.CUT || fault == Fault.RESET || fault == Fault.HALF_OPEN;
                // The link still looks up until the dialer notices the break: only then can it come back.
                if (breaks && !waitFor(() -> dialerDisconnects.get() > disconnects, BREAK_NOTICED)) {
                    warn(String.format("a %s at %.1f s was not noticed within %d s", fault.label, (at - t0) / 1e9,
                            BREAK_NOTICED.toSeconds()));
                    // Not left broken for good: every later fault would hit a link nobody uses.
                    proxy.cut();
                }
                boolean back = waitFor(Soak.this::linked, LINK_BACK);
                if (!back) {
                    warn(String.format("the link was not back %d s after a %s at %.1f s", LINK_BACK.toSeconds(),
                            fault.label, (at - t0) / 1e9));
                }
                progress("%s; link %s after %.2f s", fault.label, back ? "up" : "still down",
                        (System.nanoTime() - at) / 1e9);
            }

            private void warn(String w) {
                if (warnings.size() < MAX_WARNINGS) {
                    warnings.add(w);
                } else {
                    moreWarnings.incrementAndGet();
                }
            }

            List<String> warnings() {
                List<String> w = new ArrayList<>(warnings);
                if (moreWarnings.get() > 0) {
                    w.add(String.format("and %,d more such warnings", moreWarnings.get()));
                }
                return w;
            }
        }
    }

    /** One sender, one receiver, one mode; the sender's counters and the receiver's {@link Tracker}. */
    private static final class Flow {
        final int index;
        final Mode mode;
        final Peer from;
        final String to;
        final String subject;
        final Tracker tracker = new Tracker();
        final Semaphore window = new Semaphore(WINDOW);
        /** Only the sender thread sends. */
        long next;
        final AtomicLong sent = new AtomicLong();
        final AtomicLong windowFull = new AtomicLong();
        final Map<String, LongAdder> failed = new ConcurrentHashMap<>();

        Flow(int index, Mode mode, Peer from, String to, String subject) {
            this.index = index;
            this.mode = mode;
            this.from = from;
            this.to = to;
            this.subject = subject;
        }

        void send(int size) {
            if (mode.hasFuture() && !window.tryAcquire()) {
                windowFull.incrementAndGet();
                return;
            }
            long seq = next++;
            byte[] payload = new byte[size];
            ByteBuffer.wrap(payload).put((byte) index).putLong(seq).putLong(System.nanoTime());
            Message m = Message.ofBytes(Headers.EMPTY, ContentType.BYTES, payload);
            try {
                switch (mode) {
                    case FIRE_AND_FORGET -> {
                        SendStatus s = from.sendAndForget(to, m);
                        if (s.accepted()) {
                            sent.incrementAndGet();
                        } else {
                            fail(s.name());
                        }
                    }
                    case PUBLISH -> {
                        // Nothing says whether it was taken: the hosts' publishesRefused and drops tell.
                        from.publish(subject, m);
                        sent.incrementAndGet();
                    }
                    case CONFIRMED -> {
                        sent.incrementAndGet();
                        ended(from.send(to, m, SEND_TIMEOUT), seq);
                    }
                    case AT_LEAST_ONCE -> {
                        sent.incrementAndGet();
                        ended(from.sendAtLeastOnce(to, m, SEND_TIMEOUT), seq);
                    }
                    default -> throw new IllegalStateException("unknown mode " + mode);
                }
            } catch (RuntimeException e) {
                // A send that throws instead of failing its future is a failure too, named by its type.
                fail(e.getClass().getSimpleName());
                if (mode.hasFuture()) {
                    window.release();
                }
            }
        }

        private void ended(CompletableFuture<Void> f, long seq) {
            f.whenComplete((v, e) -> {
                if (e == null) {
                    if (mode == Mode.CONFIRMED) {
                        tracker.confirmed(seq);
                    }
                } else {
                    fail(unwrap(e).getClass().getSimpleName());
                }
                window.release();
            });
        }

        private void fail(String type) {
            failed.computeIfAbsent(type, k -> new LongAdder()).increment();
        }

        /** Whether the receiver has all it must have: what it still lacks at the drain's end is lost. */
        boolean complete() {
            return switch (mode) {
                case CONFIRMED -> tracker.unverified() == 0;
                case AT_LEAST_ONCE -> tracker.delivered() >= sent.get() - failed("BackPressureException");
                default -> tracker.delivered() >= sent.get();
            };
        }

        private long failed(String type) {
            LongAdder n = failed.get(type);
            return n == null ? 0 : n.sum();
        }
    }

    /**
     * A flow's receiving side: which sequence numbers arrived (a ring of the latest {@link #TRACKED}), how many
     * twice or late, their latency; and the confirmed ones not seen yet. Guarded by its own monitor: the receiving
     * listener and the sender's completions both touch it, a few thousand times a second.
     */
    private static final class Tracker {
        private final long[] seen = new long[TRACKED / 64];
        private long highest = -1;
        long delivered;
        long duplicated;
        long reordered;
        /** Arrived too far behind the highest to be told apart from a duplicate. */
        long untracked;
        /** Every arrival, duplicates included: the drain watches it move. */
        long arrivals;
        final Histogram latency = new Histogram(HIGHEST_LATENCY_MICROS, 3);
        final Set<Long> unverified = new HashSet<>();
        long unverifiedOverflow;

        synchronized void received(long seq, long latencyNanos) {
            arrivals++;
            if (seq > highest) {
                long from = Math.max(highest + 1, seq - TRACKED + 1);
                for (long s = from; s < seq; s++) {
                    clear(s);
                }
                highest = seq;
            } else if (seq <= highest - TRACKED) {
                untracked++;
                delivered++;
                unverified.remove(seq);
                return;
            } else if (isSet(seq)) {
                duplicated++;
                return;
            } else {
                reordered++;
            }
            set(seq);
            delivered++;
            unverified.remove(seq);
            latency.recordValue(Math.max(0, Math.min(latencyNanos / 1_000, HIGHEST_LATENCY_MICROS)));
        }

        /** A confirmed send completed: its message must have reached the listener already, or it never will. */
        synchronized void confirmed(long seq) {
            boolean arrived = seq <= highest && (seq <= highest - TRACKED || isSet(seq));
            if (arrived) {
                return;
            }
            // Completion may run a moment before the listener does; the drain's end decides.
            if (unverified.size() < MAX_UNVERIFIED) {
                unverified.add(seq);
            } else {
                unverifiedOverflow++;
            }
        }

        synchronized long delivered() {
            return delivered;
        }

        synchronized long arrivals() {
            return arrivals;
        }

        synchronized long unverified() {
            return unverified.size() + unverifiedOverflow;
        }

        private boolean isSet(long seq) {
            int bit = (int) (seq & (TRACKED - 1));
            return (seen[bit >>> 6] & (1L << bit)) != 0;
        }

        private void set(long seq) {
            int bit = (int) (seq & (TRACKED - 1));
            seen[bit >>> 6] |= 1L << bit;
        }

        private void clear(long seq) {
            int bit = (int) (seq & (TRACKED - 1));
            seen[bit >>> 6] &= ~(1L << bit);
        }
    }

    // ------------------------------------------------------------------ helpers

    private static Thread thread(Runnable r, String name) {
        Thread t = new Thread(r, name);
        t.setDaemon(true);
        t.start();
        return t;
    }

    private static boolean join(Thread t, Duration timeout) throws InterruptedException {
        t.join(timeout.toMillis());
        return !t.isAlive();
    }

    /** Polls {@code condition} until it holds (true) or {@code timeout} passed (false). */
    private static boolean waitFor(BooleanSupplier condition, Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() - deadline > 0) {
                return false;
            }
            Thread.sleep(10);
        }
        return true;
    }

    private static <T> T await(CompletableFuture<T> f, Duration timeout) throws Exception {
        try {
            return f.get(timeout.toMillis(), TimeUnit.MILLISECONDS);
        } catch (ExecutionException e) {
            throw e.getCause() instanceof Exception cause ? cause : e;
        }
    }

    private static Throwable unwrap(Throwable t) {
        while ((t instanceof CompletionException || t instanceof ExecutionException) && t.getCause() != null) {
            t = t.getCause();
        }
        return t;
    }
}

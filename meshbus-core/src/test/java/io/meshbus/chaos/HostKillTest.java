package io.meshbus.chaos;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.meshbus.bus.Host;
import io.meshbus.bus.HostOptions;
import io.meshbus.bus.Peer;
import io.meshbus.chaos.Flows.Flow;
import io.meshbus.chaos.Flows.Mode;
import io.meshbus.chaos.Flows.Outcome;
import io.meshbus.error.BackPressureException;
import io.meshbus.error.MeshbusException;
import io.meshbus.error.PeerNotFoundException;
import io.meshbus.error.PeerUnreachableException;
import io.meshbus.error.RequestTimeoutException;
import io.meshbus.node.NodeListener;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.BooleanSupplier;
import java.util.stream.Collectors;
import java.util.stream.LongStream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A host killed for real (SIGKILL of its JVM) in the middle of traffic in every delivery mode, then started again
 * with the same id. Hosts A and B run here; host C runs {@link KillableHostMain} in a child JVM: its {@code victim}
 * echoes what A and B send it, and its own at-least-once stream flows to A. It asserts what GUARANTEES.md promises
 * across the death of a host: every future ends, typed, within its bound; traffic between the survivors is untouched
 * in every mode; nothing arrives twice or out of order; the survivors keep nothing for the dead host; and the next
 * incarnation gets new streams, from their start, with nothing of the dead one's delivered as new.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class HostKillTest {
    private static final Logger LOG = LoggerFactory.getLogger(HostKillTest.class);
    /** Request timeout and reconnect timeout alike: a dead host is given up, and its futures end, in seconds. */
    private static final Duration TIMEOUT = KillableHostMain.TIMEOUT;
    /** The host sweeps timeouts every 20 ms and completes futures on its executor: allow for a loaded machine. */
    private static final Duration SLACK = Duration.ofSeconds(2);
    private static final Duration WAIT = Duration.ofSeconds(20);
    /** Rounds of one message per flow, C killed half way through the first batch. */
    private static final int ROUNDS = 100;
    private static final int RESTART_MESSAGES = 200;
    private static final int RESTART_STREAM = 300;
    private static final long HEAP_GROWTH_ALLOWED = 64L << 20;
    private static final Set<Class<? extends MeshbusException>> DOCUMENTED = Set.of(PeerNotFoundException.class,
            PeerUnreachableException.class, RequestTimeoutException.class, BackPressureException.class);

    private String suffix;
    private Host a;
    private Host b;
    private final List<Host> moreHosts = new ArrayList<>();
    private Peer pa;
    private Peer pb;
    /** C's id, the same for both of its incarnations. */
    private String c;
    private final List<Child> children = new ArrayList<>();
    /** Which incarnation of C is the live one; a message of a flow of another one arriving is a violation. */
    private volatile int incarnation;
    private final Flows flows = new Flows((f, text) -> f.incarnation == 0 || f.incarnation == incarnation ? null
            : f.name + ": " + text + " arrived while incarnation " + incarnation + " of C lives");
    private final AtomicLong survivorLinkLosses = new AtomicLong();

    @BeforeEach
    void start() {
        suffix = UUID.randomUUID().toString().substring(0, 8);
        a = host(hostBuilder("kill-a-" + suffix));
        b = host(hostBuilder("kill-b-" + suffix));
        c = "kill-c-" + suffix;
        pa = a.create("pa");
        pb = b.create("pb");
        Peer sink = a.create(KillableHostMain.SINK);
        pa.onMessage(flows::received);
        pb.onMessage(flows::received);
        sink.onMessage(flows::received);
        b.join(a.info().toString()).orTimeout(20, TimeUnit.SECONDS).join();
        countLinkLosses(a, b);
        countLinkLosses(b, a);
    }

    private static HostOptions.Builder hostBuilder(String id) {
        return Host.builder().id(id).listen("tcp://127.0.0.1:0").reconnectDelay(Duration.ofMillis(50))
                .reconnectTimeout(TIMEOUT).requestTimeout(TIMEOUT);
    }

    private static Host host(HostOptions.Builder b) {
        Host h = b.build();
        h.start().orTimeout(10, TimeUnit.SECONDS).join();
        return h;
    }

    private void countLinkLosses(Host on, Host other) {
        on.node().addListener(new NodeListener() {
            @Override
            public void onDisconnect(DisconnectEvent event) {
                if (event.id().equals(other.id())) {
                    survivorLinkLosses.incrementAndGet();
                }
            }
        });
    }

    @AfterEach
    void stop() {
        // Children first: a child left running would outlive the build.
        for (Child child : children) {
            child.process.destroyForcibly();
        }
        for (Child child : children) {
            try {
                child.process.waitFor(20, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        List<Host> hosts = new ArrayList<>(moreHosts);
        hosts.add(a);
        hosts.add(b);
        for (Host h : hosts) {
            if (h != null) {
                h.close().orTimeout(15, TimeUnit.SECONDS).exceptionally(e -> null).join();
            }
        }
    }

    @Test
    void aKilledHostEndsItsFuturesTypedLeavesTheOthersUntouchedAndItsNextIncarnationStartsAfresh() {
        long heapBefore = usedHeapAfterGc();
        long t0 = System.nanoTime();

        // ---- 1. A <-> B, A and B -> C's victim (echoed back in the same mode), C's own stream -> A
        incarnation = 1;
        List<Flow> survivors = new ArrayList<>();
        List<Flow> toVictim = new ArrayList<>();
        for (Mode mode : Mode.values()) {
            survivors.add(flow(mode, pa, pb.id(), 0));
            survivors.add(flow(mode, pb, pa.id(), 0));
            toVictim.add(flow(mode, pa, KillableHostMain.VICTIM, 1));
            toVictim.add(flow(mode, pb, KillableHostMain.VICTIM, 1));
        }
        List<Flow> echoes = toVictim.stream().map(f -> receiving(f.name + "/echo", f.mode, 1)).toList();
        Flow stream1 = receiving(streamName("run1"), Mode.AT_LEAST_ONCE, 1);
        List<Flow> sending = new ArrayList<>(survivors);
        sending.addAll(toVictim);

        Child c1 = launch("run1", 20_000, 2);
        awaitVictimReachable();
        List<CompletableFuture<Void>> all = new ArrayList<>();
        // Every flow gets through once before the kill, so what fails afterwards fails because of it.
        for (Flow f : sending) {
            if (f.mode.waits) {
                f.send().orTimeout(WAIT.toMillis(), TimeUnit.MILLISECONDS).join();
            } else {
                f.sendAndForget();
            }
        }
        awaitUntil(() -> echoes.stream().allMatch(e -> !e.received.isEmpty()) && stream1.received.size() >= 10);

        for (int r = 0; r < ROUNDS; r++) {
            if (r == ROUNDS / 2) {
                c1.process.destroyForcibly();
            }
            Flows.sendRound(sending, all);
        }
        c1.awaitExit();
        // Sent while A and B still try to reconnect, then once they gave C up.
        for (int r = 0; r < ROUNDS / 2; r++) {
            Flows.sendRound(sending, all);
        }
        awaitUntil(() -> !a.members().contains(c) && !b.members().contains(c));
        for (int r = 0; r < ROUNDS / 2; r++) {
            Flows.sendRound(sending, all);
        }
        awaitEnded(all);
        LOG.info("host kill: C killed and given up, {} ms since start", (System.nanoTime() - t0) / 1_000_000);
        report(flows.all());

        for (Flow f : sending) {
            f.outcomes.forEach(o -> checkEnded(f, o));
        }
        assertThat(survivorLinkLosses.get()).as("the link between A and B never broke").isZero();
        for (Flow f : survivors) {
            if (f.mode.waits) {
                // Both hosts live and their link held: every future completes and its message arrived, once.
                for (Outcome o : f.outcomes) {
                    assertThat(o.error).as(f.name + " #" + o.seq + " failed").isNull();
                }
                assertThat(f.received).as(f.name + ": all arrived").isEqualTo(f.sentSeqs());
            } else {
                assertThat(f.refused.get()).as(f.name + ": refused").isZero();
                awaitUntil(() -> f.received.size() == f.taken.get());
                assertThat(f.received).as(f.name + ": all arrived").isEqualTo(f.sentSeqs());
            }
        }
        assertThat(toVictim.stream().flatMap(f -> f.outcomes.stream()).filter(o -> o.error != null).count())
                .as("futures to the victim that failed: the kill struck in the middle of the traffic").isPositive();
        for (Flow e : echoes) {
            Flow original = flows.get(e.name.substring(0, e.name.length() - "/echo".length()));
            assertThat(original.sentSeqs()).as(e.name + ": echoes only of what was sent").containsAll(e.received);
        }
        // The receiver takes only the next number of a stream, so what it delivered is a prefix of what C sent.
        assertThat(stream1.received).as("C's stream as received on A: a prefix of what C sent")
                .isEqualTo(range(1, stream1.received.size()));
        assertThat(flows.violations).as("duplicates, reordering, strangers").isEmpty();
        // Given up, C holds nothing on A or B; A <-> B was all acknowledged.
        awaitUntil(() -> retained(a) == 0 && retained(b) == 0);

        // ---- 2. C again, with the same id: new streams both ways, from their start
        incarnation = 2;
        List<Flow> again = List.of(flow(Mode.AT_LEAST_ONCE, pa, KillableHostMain.VICTIM, 2),
                flow(Mode.AT_LEAST_ONCE, pb, KillableHostMain.VICTIM, 2));
        List<Flow> echoesAgain = again.stream().map(f -> receiving(f.name + "/echo", f.mode, 2)).toList();
        Flow stream2 = receiving(streamName("run2"), Mode.AT_LEAST_ONCE, 2);
        Child c2 = launch("run2", RESTART_STREAM, 4);
        awaitUntil(() -> a.members().contains(c) && b.members().contains(c));
        awaitVictimReachable();
        List<CompletableFuture<Void>> restarted = new ArrayList<>();
        for (int i = 0; i < RESTART_MESSAGES; i++) {
            Flows.sendRound(again, restarted);
        }
        awaitEnded(restarted);
        String streamed = c2.awaitLine("STREAMED ");
        awaitUntil(() -> stream2.received.size() >= RESTART_STREAM
                && echoesAgain.stream().allMatch(e -> e.received.size() >= RESTART_MESSAGES));
        LOG.info("host kill: C restarted, {}; {} ms since start", streamed, (System.nanoTime() - t0) / 1_000_000);
        report(List.of(again.get(0), again.get(1), echoesAgain.get(0), echoesAgain.get(1), stream2));

        for (Flow f : again) {
            for (Outcome o : f.outcomes) {
                checkEnded(f, o);
                assertThat(o.error).as(f.name + " #" + o.seq + " failed").isNull();
            }
        }
        for (Flow e : echoesAgain) {
            assertThat(e.received).as(e.name + ": every echo, once").isEqualTo(range(0, RESTART_MESSAGES - 1));
        }
        assertThat(streamed).as("C's new stream: every future completed")
                .isEqualTo("STREAMED " + RESTART_STREAM + " OK " + RESTART_STREAM + " FAILED {}");
        assertThat(stream2.received).as("C's new stream on A: complete, from its start")
                .isEqualTo(range(1, RESTART_STREAM));
        assertThat(flows.violations).as("duplicates, reordering, strangers, the dead incarnation's messages").isEmpty();
        awaitUntil(() -> retained(a) == 0 && retained(b) == 0);

        // What was kept for the dead incarnation is gone: a few thousand messages' worth would show; a leak of the
        // dead host's streams and futures would too, while the garbage of the run itself is collected.
        long bound = heapBefore + HEAP_GROWTH_ALLOWED;
        await().atMost(WAIT).pollInterval(Duration.ofMillis(200))
                .untilAsserted(() -> assertThat(usedHeapAfterGc()).as("used heap (before: " + heapBefore + ")")
                        .isLessThan(bound));
        LOG.info("host kill: done in {} ms, heap {} -> {} bytes", (System.nanoTime() - t0) / 1_000_000, heapBefore,
                usedHeapAfterGc());
    }

    /**
     * C killed and started again before a survivor, D, gave it up, so D's link comes back to the new incarnation. D's
     * stream to the dead one held messages it had taken but not acknowledged (its listener never returned), which D
     * sent again while the link was down. None may reach the new incarnation: it starts a new stream.
     */
    @Test
    void aHostRestartedBeforeItIsGivenUpGetsNothingOfTheStreamToItsDeadIncarnation() {
        // D gives a lost host up late, so C's next incarnation links to it first; and it resends soon.
        Host d = host(hostBuilder("kill-d-" + suffix).reconnectTimeout(Duration.ofSeconds(60))
                .retransmitAfter(Duration.ofMillis(100)));
        moreHosts.add(d);
        AtomicLong givenUp = new AtomicLong();
        d.node().addListener(new NodeListener() {
            @Override
            public void onDisconnect(DisconnectEvent event) {
                if (event.id().equals(c) && !event.reconnecting()) {
                    givenUp.incrementAndGet();
                }
            }
        });
        Peer pd = d.create("pd");
        pd.onMessage(flows::received);
        d.join(a.info().toString()).orTimeout(20, TimeUnit.SECONDS).join();
        incarnation = 1;
        Flow held = flows.register(new Flow("alo|pd>" + KillableHostMain.VICTIM + "#hold-run1", pd,
                KillableHostMain.VICTIM, Mode.AT_LEAST_ONCE, 1));
        Flow heldEcho = receiving(held.name + "/echo", Mode.AT_LEAST_ONCE, 1);
        Child c1 = launch("run1", 0, 1);
        awaitUntil(() -> d.node().isConnected(c) && finds(d, KillableHostMain.VICTIM));
        List<CompletableFuture<Void>> toDead = new ArrayList<>();
        for (int i = 0; i < 20; i++) {
            toDead.add(held.send());
        }
        c1.awaitLine("HOLDING ");
        c1.process.destroyForcibly();
        c1.awaitExit();
        awaitUntil(() -> !d.node().isConnected(c));
        long resent = d.metrics().get("atLeastOnceResent");
        // Copies of the unacknowledged messages wait for whichever link comes next.
        awaitUntil(() -> d.metrics().get("atLeastOnceResent") > resent);
        assertThat(d.metrics().get("atLeastOnceUnacknowledged")).as("held for C").isPositive();

        incarnation = 2;
        Flow fresh = flow(Mode.AT_LEAST_ONCE, pd, KillableHostMain.VICTIM, 2);
        Flow freshEcho = receiving(fresh.name + "/echo", Mode.AT_LEAST_ONCE, 2);
        launch("run2", 0, 1);
        awaitUntil(() -> d.node().isConnected(c) && finds(d, KillableHostMain.VICTIM));
        assertThat(givenUp.get()).as("D gave C up before its new incarnation linked").isZero();
        awaitEnded(toDead);
        List<CompletableFuture<Void>> toNew = new ArrayList<>();
        for (int i = 0; i < 50; i++) {
            toNew.add(fresh.send());
        }
        awaitEnded(toNew);
        // The new incarnation echoes in the order it takes messages: a copy of the old stream would come first.
        awaitUntil(() -> freshEcho.received.size() >= 50);
        report(List.of(held, heldEcho, fresh, freshEcho));

        held.outcomes.forEach(o -> checkEnded(held, o));
        for (Outcome o : fresh.outcomes) {
            checkEnded(fresh, o);
            assertThat(o.error).as(fresh.name + " #" + o.seq + " failed").isNull();
        }
        assertThat(freshEcho.received).as("the new stream: every echo, once").isEqualTo(range(0, 49));
        assertThat(heldEcho.received).as("messages of D's stream to the dead incarnation that reached the new one")
                .isEmpty();
        assertThat(flows.violations).as("duplicates, reordering, strangers, the dead incarnation's messages").isEmpty();
        awaitUntil(() -> retained(d) == 0);
    }

    // ------------------------------------------------------------------ steps

    private void awaitVictimReachable() {
        // Registrations reach the directory moments after the join.
        awaitUntil(() -> finds(a, KillableHostMain.VICTIM) && finds(b, KillableHostMain.VICTIM));
    }

    private static void awaitEnded(List<CompletableFuture<Void>> futures) {
        Flows.awaitEnded(futures, TIMEOUT.plus(SLACK).plus(SLACK));
    }

    private static void checkEnded(Flow f, Outcome o) {
        Flows.checkEnded(f, o, TIMEOUT.plus(SLACK), DOCUMENTED);
    }

    /** At-least-once messages awaiting acknowledgement, and confirmed sends awaiting theirs. */
    private static long retained(Host h) {
        Map<String, Long> m = h.metrics();
        return m.get("atLeastOnceUnacknowledged") + m.get("pending");
    }

    private static boolean finds(Host h, String peerId) {
        return h.find(peerId).handle((where, e) -> e == null).orTimeout(5, TimeUnit.SECONDS)
                .exceptionally(e -> false).join();
    }

    private static void awaitUntil(BooleanSupplier condition) {
        await().atMost(WAIT).pollInterval(Duration.ofMillis(10)).until(condition::getAsBoolean);
    }

    private static long usedHeapAfterGc() {
        System.gc();
        return ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed();
    }

    private static Set<Long> range(long from, long to) {
        return LongStream.rangeClosed(from, to).boxed().collect(Collectors.toSet());
    }

    private static String streamName(String tag) {
        return "alo|" + KillableHostMain.STREAMER + ">" + KillableHostMain.SINK + "#" + tag;
    }

    private void report(Iterable<Flow> which) {
        for (Flow f : which) {
            if (f.from == null) {
                LOG.info("host kill: {}: received {}", f.name, f.received.size());
            } else if (f.to.equals(KillableHostMain.VICTIM)) {
                LOG.info("host kill: {}: sent {}, failed {}", f.name, f.mode.waits ? f.outcomes.size() : f.next,
                        f.errors());
            } else if (f.mode.waits) {
                LOG.info("host kill: {}: sent {}, failed {}, delivered {}", f.name, f.outcomes.size(), f.errors(),
                        f.received.size());
            } else {
                LOG.info("host kill: {}: taken {}, refused {}, delivered {}", f.name, f.taken.get(), f.refused.get(),
                        f.received.size());
            }
        }
        for (Host h : new Host[] {a, b}) {
            LOG.info("host kill: {} metrics {}", h.id(), h.metrics());
        }
        for (Host h : moreHosts) {
            LOG.info("host kill: {} metrics {}", h.id(), h.metrics());
        }
    }

    // ------------------------------------------------------------------ host C, in a child JVM

    private Child launch(String tag, int streamCount, int perTick) {
        String java = ProcessHandle.current().info().command().orElse("java");
        try {
            Process p = new ProcessBuilder(java, "-Xmx256m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1",
                    "-cp", System.getProperty("java.class.path"), KillableHostMain.class.getName(),
                    a.info().toString(), c, tag, Integer.toString(streamCount), Integer.toString(perTick))
                    .redirectErrorStream(true).start();
            Child child = new Child(tag, p);
            children.add(child);
            child.awaitLine("READY ");
            return child;
        } catch (IOException e) {
            throw new IllegalStateException("could not start a child JVM", e);
        }
    }

    /** A child JVM whose output is read all along: a full pipe would stall it. */
    private static final class Child {
        private static final String EOF = "\u0000EOF";
        final Process process;
        private final BlockingQueue<String> lines = new LinkedBlockingQueue<>();
        private final Deque<String> tail = new ArrayDeque<>();

        Child(String tag, Process process) {
            this.process = process;
            Thread reader = new Thread(() -> {
                try (BufferedReader in = new BufferedReader(new InputStreamReader(process.getInputStream(),
                        StandardCharsets.UTF_8))) {
                    String line;
                    while ((line = in.readLine()) != null) {
                        LOG.debug("host C {}: {}", tag, line);
                        synchronized (tail) {
                            tail.addLast(line);
                            if (tail.size() > 50) {
                                tail.removeFirst();
                            }
                        }
                        lines.add(line);
                    }
                } catch (IOException e) {
                    // the child was killed
                } finally {
                    lines.add(EOF);
                }
            }, "host-c-" + tag + "-output");
            reader.setDaemon(true);
            reader.start();
        }

        String awaitLine(String prefix) {
            long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
            try {
                for (;;) {
                    String line = lines.poll(Math.max(0, until - System.nanoTime()), TimeUnit.NANOSECONDS);
                    if (line == null || line.equals(EOF)) {
                        synchronized (tail) {
                            throw new AssertionError("host C printed no '" + prefix + "' line "
                                    + (line == null ? "in time" : "before it exited") + "; its output ended with: "
                                    + String.join("\n", tail));
                        }
                    }
                    if (line.startsWith(prefix)) {
                        return line;
                    }
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new AssertionError("interrupted", e);
            }
        }

        void awaitExit() {
            try {
                assertThat(process.waitFor(30, TimeUnit.SECONDS)).as("host C died").isTrue();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new AssertionError("interrupted", e);
            }
        }
    }

    // ------------------------------------------------------------------ flows, named for the victim's echo

    /** {@code incarnation}: 0 between A and B, else the incarnation of C the flow goes to or comes from. */
    private Flow flow(Mode mode, Peer from, String to, int incarnation) {
        String name = mode.tag + "|" + from.id() + ">" + to + (incarnation == 0 ? "" : "#" + incarnation);
        return flows.register(new Flow(name, from, to, mode, incarnation));
    }

    /** A flow this JVM only receives: echoes, and C's own stream. */
    private Flow receiving(String name, Mode mode, int incarnation) {
        return flows.register(new Flow(name, null, null, mode, incarnation));
    }
}

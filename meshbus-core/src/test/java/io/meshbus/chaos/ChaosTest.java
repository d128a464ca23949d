package io.meshbus.chaos;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.meshbus.bus.Host;
import io.meshbus.bus.Peer;
import io.meshbus.chaos.Flows.Flow;
import io.meshbus.chaos.Flows.Mode;
import io.meshbus.chaos.Flows.Outcome;
import io.meshbus.error.BackPressureException;
import io.meshbus.error.ClosedException;
import io.meshbus.error.MeshbusException;
import io.meshbus.error.NotAuthorizedException;
import io.meshbus.error.PeerNotFoundException;
import io.meshbus.error.PeerUnreachableException;
import io.meshbus.error.RequestTimeoutException;
import io.meshbus.node.NodeListener;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Two hosts, one reaching the other only through a {@link ChaosProxy}, with confirmed and fire-and-forget traffic in
 * both directions while faults follow one another: cut, refused re-dials, reset, stall then resume, delay, half-open
 * until the idle timeout. It asserts what GUARANTEES.md promises and nothing more: confirmed futures end (completed
 * or failed typed) within their timeout, nothing arrives twice or out of order per sender, a completed future means
 * the receiver got the message, fire-and-forget deliveries plus counted drops never exceed what was taken, and the
 * link comes back through the proxy so a last confirmed message gets through.
 */
@Timeout(value = 90, unit = TimeUnit.SECONDS)
class ChaosTest {
    private static final Logger LOG = LoggerFactory.getLogger(ChaosTest.class);
    /** The hosts' request timeout: the bound every confirmed send must end within. */
    private static final Duration SEND_TIMEOUT = Duration.ofSeconds(3);
    /** The host sweeps timeouts every 20 ms and completes futures on its executor: allow for a loaded machine. */
    private static final Duration SLACK = Duration.ofSeconds(2);
    private static final Duration WAIT = Duration.ofSeconds(20);
    private static final Duration IDLE = Duration.ofSeconds(2);
    private static final int BURST = 100;
    private static final Set<Class<? extends MeshbusException>> DOCUMENTED = Set.of(PeerNotFoundException.class,
            PeerUnreachableException.class, BackPressureException.class, RequestTimeoutException.class,
            ClosedException.class, NotAuthorizedException.class);

    private ChaosProxy proxy;
    /** Listens; never dials, because it does not know an address of the dialer. */
    private Host dialled;
    /** Does not listen, so every link between the two, first or re-dialled, goes through the proxy. */
    private Host dialer;
    private Peer onDialled;
    private Peer onDialer;
    private final AtomicLong dialerConnects = new AtomicLong();
    private final AtomicLong dialerDisconnects = new AtomicLong();
    private final Flows flows = new Flows();

    @BeforeEach
    void start() throws Exception {
        // The dialer gets the smaller id, so it arbitrates the pair: its fresh re-dial replaces a link the other side
        // still believes in (after a half-open fault) at once, not after a duplicate-link handshake timeout.
        String suffix = UUID.randomUUID().toString().substring(0, 8);
        dialled = host("chaos-b-" + suffix, true);
        dialled.start().orTimeout(10, TimeUnit.SECONDS).join();
        proxy = ChaosProxy.to(dialled.info());
        dialer = host("chaos-a-" + suffix, false);
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
        dialer.start().orTimeout(10, TimeUnit.SECONDS).join();
        onDialled = dialled.create("p-b");
        onDialer = dialer.create("p-a");
        onDialled.onMessage(flows::received);
        onDialer.onMessage(flows::received);
        dialer.join(proxy.uri()).orTimeout(20, TimeUnit.SECONDS).join();
        for (Mode mode : Mode.values()) {
            flow(onDialer, onDialled, mode);
            flow(onDialled, onDialer, mode);
        }
    }

    private static Host host(String id, boolean listens) {
        var b = Host.builder().id(id).reconnectDelay(Duration.ofMillis(50)).reconnectDecay(1.0)
                .reconnectTimeout(Duration.ofSeconds(30)).requestTimeout(SEND_TIMEOUT)
                .node(n -> n.heartbeatInterval(Duration.ofMillis(200)).idleTimeout(IDLE)
                        .handshakeTimeout(Duration.ofSeconds(2)).connectTimeout(Duration.ofSeconds(2)));
        if (listens) {
            b.listen("tcp://127.0.0.1:0");
        }
        return b.build();
    }

    @AfterEach
    void stop() {
        for (Host h : new Host[] {dialer, dialled}) {
            if (h != null) {
                h.close().orTimeout(15, TimeUnit.SECONDS).exceptionally(e -> null).join();
            }
        }
        if (proxy != null) {
            proxy.close();
        }
    }

    @Test
    void everyModeKeepsItsPromisesThroughCutResetStallDelayAndHalfOpenLinks() {
        awaitLinked();
        // Registrations reach the directory moments after the join: wait until each side finds the other's peer.
        awaitUntil(() -> finds(dialer, onDialled.id()) && finds(dialled, onDialer.id()));
        // Faults start once a confirmed send has worked in both directions.
        for (Flow f : flows.all()) {
            if (f.mode.waits) {
                f.send().orTimeout(WAIT.toMillis(), TimeUnit.MILLISECONDS).join();
            }
        }
        long firstConnections = proxy.connectionsAccepted();

        fault("cut, then refused re-dials", () -> {
            proxy.refuse(true);
            proxy.cut();
        }, () -> {
            awaitUntil(() -> proxy.connectionsRefused() >= 2);
            proxy.refuse(false);
        }, true);

        fault("reset", proxy::reset, () -> { }, true);

        long[] heldBefore = new long[1];
        fault("stall, then resume", () -> {
            heldBefore[0] = proxy.chunksHeld();
            proxy.stall();
        }, () -> {
            // Heartbeats cross both ways every 200 ms, so each direction's pump comes to hold a chunk.
            awaitUntil(() -> proxy.chunksHeld() >= heldBefore[0] + 2);
            proxy.resume();
        }, false);

        long[] delayedBefore = new long[1];
        fault("delay", () -> {
            delayedBefore[0] = proxy.chunksDelayed();
            proxy.delay(Duration.ofMillis(20));
        }, () -> {
            awaitUntil(() -> proxy.chunksDelayed() > delayedBefore[0] + 4);
            proxy.delay(Duration.ZERO);
        }, false);

        fault("half-open until the idle timeout", proxy::halfOpen, () -> { }, true);

        // (c) The link is back, through the proxy, and a confirmed message gets through each way.
        awaitLinked();
        for (Flow f : flows.all()) {
            if (f.mode.waits) {
                f.send().orTimeout(SEND_TIMEOUT.plus(SLACK).toMillis(), TimeUnit.MILLISECONDS).join();
            }
        }
        assertThat(proxy.connectionsAccepted()).as("re-dials went through the proxy")
                .isGreaterThanOrEqualTo(firstConnections + 3);

        // At least once: every message a stream took arrives, each once and in order, once the link is back.
        for (Flow f : flows.all()) {
            if (f.mode == Mode.AT_LEAST_ONCE) {
                awaitUntil(() -> f.received.containsAll(streamed(f)));
            }
        }
        report();
        assertThat(flows.violations).as("duplicates or reordering per sender").isEmpty();
        for (Flow f : flows.all()) {
            if (f.mode.waits) {
                for (Outcome o : f.outcomes) {
                    checkConfirmed(f, o);
                }
                if (f.mode == Mode.AT_LEAST_ONCE) {
                    assertThat(f.received).as(f.name + ": all taken arrived, nothing else")
                            .containsExactlyInAnyOrderElementsOf(streamed(f));
                    assertThat(streamed(f).size()).as(f.name + ": the stream took most (refusals are typed)")
                            .isGreaterThan(f.outcomes.size() / 2);
                }
            } else {
                assertThat((long) f.received.size()).as(f.name + ": delivered <= taken")
                        .isLessThanOrEqualTo(f.taken.get());
            }
        }
        long taken = 0;
        long delivered = 0;
        for (Flow f : flows.all()) {
            if (f.mode == Mode.FORGET) {
                taken += f.taken.get();
                delivered += f.received.size();
            }
        }
        long dropped = dialer.metrics().get("dropped") + dialled.metrics().get("dropped");
        assertThat(delivered + dropped).as("fire-and-forget: delivered + counted drops <= taken")
                .isLessThanOrEqualTo(taken);
        // Every loss is counted: drops where they happen, what broken links took by the receivers' tallies (which
        // also count other modes' messages and the hosts' own, so this is a bound, not an equation).
        assertThat(taken - delivered).as("fire-and-forget losses, all counted")
                .isLessThanOrEqualTo(dropped + lostInFlight());
    }

    /**
     * One fault: a burst in flight when it strikes, a burst sent into it, the healing, then every confirmed future of
     * this round must have ended within its bound before the link is required back for the next round.
     */
    private void fault(String name, Runnable inject, Runnable heal, boolean breaksTheLink) {
        long disconnects = dialerDisconnects.get();
        long connects = dialerConnects.get();
        List<CompletableFuture<Void>> round = new ArrayList<>();
        burst(round);
        inject.run();
        burst(round);
        heal.run();
        if (breaksTheLink) {
            awaitUntil(() -> dialerDisconnects.get() > disconnects && dialerConnects.get() > connects);
        }
        Flows.awaitEnded(round, SEND_TIMEOUT.plus(SLACK).plus(SLACK));
        LOG.info("chaos: {} done, proxy read {} / forwarded {} bytes, {} connections", name, proxy.bytesRead(),
                proxy.bytesForwarded(), proxy.connectionsAccepted());
        awaitLinked();
    }

    private void burst(List<CompletableFuture<Void>> round) {
        for (int i = 0; i < BURST; i++) {
            Flows.sendRound(flows.all(), round);
        }
    }

    private long lostInFlight() {
        return dialer.node().metrics().snapshot().get("messagesLostInFlight")
                + dialled.node().metrics().snapshot().get("messagesLostInFlight");
    }

    private void awaitLinked() {
        awaitUntil(() -> dialer.node().isConnected(dialled.id()) && dialled.node().isConnected(dialer.id())
                && dialer.members().contains(dialled.id()) && dialled.members().contains(dialer.id()));
    }

    private static boolean finds(Host h, String peerId) {
        return h.find(peerId).handle((where, e) -> e == null).orTimeout(5, TimeUnit.SECONDS)
                .exceptionally(e -> false).join();
    }

    private static void awaitUntil(BooleanSupplier condition) {
        await().atMost(WAIT).pollInterval(Duration.ofMillis(10)).until(condition::getAsBoolean);
    }

    private static void checkConfirmed(Flow f, Outcome o) {
        Flows.checkEnded(f, o, SEND_TIMEOUT.plus(SLACK), DOCUMENTED);
        if (o.error == null) {
            // Completion promises the target's listener had it.
            assertThat(f.received).as(f.name + " #" + o.seq + " confirmed, so delivered").contains(o.seq);
        }
    }

    /**
     * The at-least-once messages the stream took: all but those refused at once (bound reached) or whose stream
     * ended with a host; a timeout ends only the wait, so those messages must still arrive.
     */
    private static Set<Long> streamed(Flow f) {
        Set<Long> in = new HashSet<>();
        for (Outcome o : f.outcomes) {
            if (!o.future.isDone() || !(o.error instanceof BackPressureException
                    || o.error instanceof PeerUnreachableException || o.error instanceof ClosedException)) {
                in.add(o.seq);
            }
        }
        return in;
    }

    private void report() {
        for (Flow f : flows.all()) {
            if (f.mode.waits) {
                long ok = f.outcomes.stream().filter(o -> o.error == null).count();
                LOG.info("chaos: {}: sent {}, confirmed {}, failed {}, delivered {}", f.name, f.outcomes.size(), ok,
                        f.errors(), f.received.size());
            } else {
                LOG.info("chaos: {}: taken {}, refused {}, delivered {}", f.name, f.taken.get(), f.refused.get(),
                        f.received.size());
            }
        }
        long lostUncounted = 0;
        for (Flow f : flows.all()) {
            if (f.mode == Mode.FORGET) {
                lostUncounted += f.taken.get() - f.received.size();
            }
        }
        lostUncounted -= dialer.metrics().get("dropped") + dialled.metrics().get("dropped");
        LOG.info("chaos: fire-and-forget lost {} beyond the hosts' drops; links lost {} messages of all kinds",
                lostUncounted, lostInFlight());
        LOG.info("chaos: host dropped {} + {}; node failed {} + {}; proxy {} connections, {} refused, {} broken",
                dialer.metrics().get("dropped"), dialled.metrics().get("dropped"),
                dialer.node().metrics().snapshot().get("messagesFailed"),
                dialled.node().metrics().snapshot().get("messagesFailed"),
                proxy.connectionsAccepted(), proxy.connectionsRefused(), proxy.connectionsBroken());
    }

    private void flow(Peer from, Peer to, Mode mode) {
        flows.register(new Flow(from.id() + mode.arrow + to.id(), from, to.id(), mode));
    }
}

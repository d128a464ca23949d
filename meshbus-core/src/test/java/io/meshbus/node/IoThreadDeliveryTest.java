package io.meshbus.node;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.meshbus.message.Message;
import io.meshbus.transport.TcpTransport;
import io.meshbus.transport.TransportResources;
import io.meshbus.transport.Transports;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Listeners on the I/O thread (deliverOnIoThread): where they run, the blocked-thread checker, isolation, order. */
class IoThreadDeliveryTest {
    private Nodes nodes;

    private Nodes on(String scheme) {
        nodes = new Nodes(scheme);
        return nodes;
    }

    @AfterEach
    void close() {
        if (nodes != null) {
            nodes.close();
        }
    }

    private static boolean onIoThread() {
        return Thread.currentThread().getName().startsWith("meshbus-io");
    }

    @ParameterizedTest
    @ValueSource(strings = {"tcp", "tcp+io"})
    void shouldRunListenersOnTheIoThreadOnlyWhenAskedTo(String scheme) throws Exception {
        on(scheme);
        Node receiver = nodes.start(Nodes.uniqueId("r"));
        List<Boolean> where = new java.util.concurrent.CopyOnWriteArrayList<>();
        receiver.onMessage((from, m) -> where.add(onIoThread()));
        Node sender = nodes.start(Nodes.uniqueId("s"));
        sender.connect(receiver.info()).get(10, TimeUnit.SECONDS);
        // The first messages may wait behind the link's connect event on the executor; the rest run where asked.
        for (int i = 0; i < 20; i++) {
            int n = i + 1;
            sender.send(receiver.id(), Message.of("where " + i));
            await().atMost(Nodes.WAIT).until(() -> where.size() == n);
        }
        if (nodes.onIoThread()) {
            assertThat(where).contains(true);
        } else {
            assertThat(where).containsOnly(false);
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"tcp", "tcp+io"})
    void shouldIsolateAListenerThatThrowsAndKeepEachSendersOrder(String scheme) throws Exception {
        on(scheme);
        Node receiver = nodes.start(Nodes.uniqueId("r"));
        int n = 20_000;
        ConcurrentHashMap<String, List<Integer>> seen = new ConcurrentHashMap<>();
        CountDownLatch all = new CountDownLatch(2 * n);
        receiver.onMessage((from, m) -> {
            int i = Integer.parseInt(m.payloadText());
            seen.computeIfAbsent(from, k -> new ArrayList<>()).add(i);
            all.countDown();
            if (i % 1_000 == 7) {
                throw new IllegalStateException("listener fails on " + i);
            }
        });
        List<Node> senders = List.of(nodes.start(Nodes.uniqueId("a")), nodes.start(Nodes.uniqueId("b")));
        for (Node s : senders) {
            s.connect(receiver.info()).get(10, TimeUnit.SECONDS);
        }
        for (int i = 0; i < n; i++) {
            for (Node s : senders) {
                while (!s.send(receiver.id(), Message.of(Integer.toString(i))).accepted()) {
                    Thread.onSpinWait(); // a full queue: the sender waits for room, as a caller would
                }
            }
        }
        assertThat(all.await(30, TimeUnit.SECONDS)).isTrue();
        for (Node s : senders) {
            List<Integer> got = seen.get(s.id());
            assertThat(got).hasSize(n);
            for (int i = 0; i < n; i++) {
                if (got.get(i) != i) {
                    throw new AssertionError("from " + s.id() + " message " + i + " arrived as " + got.get(i));
                }
            }
        }
        assertThat(receiver.metrics().snapshot().get("listenerErrors")).isEqualTo(2L * n / 1_000);
    }

    @Test
    void shouldReportAListenerThatBlocksItsIoThreadWhileLinksOnTheOthersAreServed() throws Exception {
        on("tcp+io");
        // Event loops of its own: its links take their two threads in turn, so the second link is on the free one.
        try (TransportResources loops = TransportResources.of(2)) {
            Node guarded = nodes.start(nodes.builder(Nodes.uniqueId("g")).blockedThreadBound(Duration.ofMillis(50))
                    .transports(Transports.discover().register(new TcpTransport(loops))));
            CountDownLatch blocking = new CountDownLatch(1);
            String[] whereBlocked = new String[1];
            java.util.concurrent.atomic.AtomicBoolean probedOnIoThread = new java.util.concurrent.atomic.AtomicBoolean();
            CountDownLatch release = new CountDownLatch(1);
            Set<String> heardMeanwhile = ConcurrentHashMap.newKeySet();
            guarded.onMessage((from, m) -> {
                if (m.payloadText().equals("probe")) {
                    probedOnIoThread.compareAndSet(false, onIoThread());
                } else if (m.payloadText().equals("block")) {
                    whereBlocked[0] = Thread.currentThread().getName();
                    blocking.countDown();
                    try {
                        release.await(60, TimeUnit.SECONDS);
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                    }
                } else if (release.getCount() == 1) {
                    heardMeanwhile.add(from);
                }
            });
            Node blocker = nodes.start(Nodes.uniqueId("b"));
            blocker.connect(guarded.info()).get(10, TimeUnit.SECONDS);
            // A link's connect event runs on the remote's executor first, and messages behind it wait there: probe
            // until one runs on the I/O thread, so that the next one does too.
            await().atMost(Nodes.WAIT).until(() -> {
                blocker.send(guarded.id(), Message.of("probe"));
                return probedOnIoThread.get();
            });
            blocker.send(guarded.id(), Message.of("block"));
            try {
                assertThat(blocking.await(10, TimeUnit.SECONDS)).isTrue();
                await().atMost(Nodes.WAIT).untilAsserted(() -> assertThat(guarded.metrics().ioThreadBlocked())
                        .as("the listener blocked %s", whereBlocked[0]).isPositive());
                Node other = nodes.start(Nodes.uniqueId("o"));
                other.connect(guarded.info()).get(10, TimeUnit.SECONDS);
                other.send(guarded.id(), Message.of("hello"));
                await().atMost(Nodes.WAIT).until(() -> heardMeanwhile.contains(other.id()));
                assertThat(blocking.getCount()).isZero();
                assertThat(release.getCount()).as("the blocked listener still holds its thread").isOne();
            } finally {
                release.countDown();
            }
            nodes.close();
            nodes = null;
        }
    }
}

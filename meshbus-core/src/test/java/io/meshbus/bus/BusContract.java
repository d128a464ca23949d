package io.meshbus.bus;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.meshbus.error.MeshbusException;
import io.meshbus.error.PeerNotFoundException;
import io.meshbus.error.RequestTimeoutException;
import io.meshbus.message.Message;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The bus's promises, one suite for every substrate: a mesh of direct links and each backplane run exactly these
 * tests, through {@link #builder(String)} and {@link #connect(Host, Host)} only.
 */
public abstract class BusContract {
    protected static final Duration WAIT = Duration.ofSeconds(20);

    private final List<Host> started = new ArrayList<>();
    /** Unique per test: a backplane namespaces its keys and subjects with it, so no test sees another's data. */
    protected String namespace;

    /** A host builder on the substrate, with timers fast enough for tests. */
    protected abstract HostOptions.Builder builder(String id);

    /** Makes a started host part of the network of another (a mesh dials it; a backplane has nothing to do). */
    protected void connect(Host newcomer, Host member) {
    }

    @BeforeEach
    void namespace() {
        namespace = "mbt-" + UUID.randomUUID().toString().substring(0, 12);
    }

    @AfterEach
    void closeHosts() {
        for (Host h : started) {
            h.close().orTimeout(15, TimeUnit.SECONDS).exceptionally(e -> null).join();
        }
    }

    protected Host start(String id) {
        Host h = builder(id).build();
        started.add(h);
        h.start().orTimeout(20, TimeUnit.SECONDS).join();
        return h;
    }

    protected List<Host> network(int n) {
        List<Host> all = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            Host h = start("h" + i + "-" + namespace);
            if (!all.isEmpty()) {
                connect(h, all.get(0));
            }
            all.add(h);
        }
        await().atMost(WAIT).until(() -> all.stream().allMatch(h -> h.members().size() == n - 1));
        return all;
    }

    @Test
    void shouldSendWithConfirmationAcrossHostsAndFindPeers() throws Exception {
        List<Host> net = network(2);
        Peer a = net.get(0).create("a");
        Peer b = net.get(1).create("b");
        Hosts.Inbox ia = Hosts.Inbox.of(a);
        b.onMessage((from, m) -> b.send(from, "re: " + m.payloadText()));
        a.send("b", "hi").get(10, TimeUnit.SECONDS);
        Hosts.Inbox.Got back = ia.next();
        assertThat(back.from()).isEqualTo("b");
        assertThat(back.message().payloadText()).isEqualTo("re: hi");
        assertThat(net.get(0).find("b").get(10, TimeUnit.SECONDS).hostId()).isEqualTo(net.get(1).id());
        assertThat(net.get(1).find("a").get(10, TimeUnit.SECONDS).hostId()).isEqualTo(net.get(0).id());
    }

    @Test
    void shouldFailTypedForAnUnknownPeer() {
        List<Host> net = network(2);
        Peer a = net.get(0).create("a");
        assertThatThrownBy(() -> a.send("nobody", "x").get(10, TimeUnit.SECONDS))
                .hasCauseInstanceOf(PeerNotFoundException.class).cause().hasMessage("Peer not found (id: nobody)");
        assertThatThrownBy(() -> net.get(1).find("nobody").get(10, TimeUnit.SECONDS))
                .hasCauseInstanceOf(PeerNotFoundException.class);
    }

    @Test
    void shouldAnswerRequestsAndReportHandlerFailuresAndTimeouts() throws Exception {
        List<Host> net = network(2);
        Peer asker = net.get(0).create("asker");
        Peer echo = net.get(1).create("echo");
        Peer broken = net.get(1).create("broken");
        net.get(1).create("silent");
        echo.onMessage((from, m) -> echo.reply(m, Map.of("echo", m.decode(Map.class))));
        broken.onMessage((from, m) -> {
            throw new IllegalStateException("boom");
        });
        Message reply = asker.request("echo", Map.of("n", 1), Duration.ofSeconds(10)).get(10, TimeUnit.SECONDS);
        assertThat(reply.decode(Map.class)).isEqualTo(Map.of("echo", Map.of("n", 1)));
        assertThatThrownBy(() -> asker.request("broken", "x", Duration.ofSeconds(10)).get(10, TimeUnit.SECONDS))
                .hasCauseInstanceOf(MeshbusException.class).cause().hasMessageContaining("boom");
        assertThatThrownBy(() -> asker.request("silent", "x", Duration.ofMillis(300)).get(10, TimeUnit.SECONDS))
                .hasCauseInstanceOf(RequestTimeoutException.class);
        Peer local = net.get(0).create("local-echo");
        local.onMessage((from, m) -> local.reply(m, "local " + m.payloadText()));
        assertThat(asker.request("local-echo", "q", Duration.ofSeconds(5)).get(10, TimeUnit.SECONDS).payloadText())
                .isEqualTo("local q");
    }

    @Test
    void shouldKeepOrderFromOneSenderAndConfirmTheLast() throws Exception {
        List<Host> net = network(2);
        Peer a = net.get(0).create("a");
        Hosts.Inbox ib = Hosts.Inbox.of(net.get(1).create("b"));
        a.send("b", -1).get(10, TimeUnit.SECONDS);
        ib.next();
        for (int i = 0; i < 999; i++) {
            assertThat(a.sendAndForget("b", i).accepted()).isTrue();
        }
        a.send("b", 999).get(10, TimeUnit.SECONDS);
        for (int i = 0; i < 1000; i++) {
            assertThat(ib.next().message().decode(Integer.class)).isEqualTo(i);
        }
    }

    @Test
    void shouldDeliverAtLeastOnceMessagesOnceAndInOrderBothWaysAndRefuseTypedPastTheBound() throws Exception {
        List<Host> net = network(2);
        Peer a = net.get(0).create("a");
        Peer b = net.get(1).create("b");
        Hosts.Inbox ia = Hosts.Inbox.of(a);
        Hosts.Inbox ib = Hosts.Inbox.of(b);
        List<java.util.concurrent.CompletableFuture<Void>> sent = new ArrayList<>();
        for (int i = 0; i < 500; i++) {
            sent.add(a.sendAtLeastOnce("b", i));
            sent.add(b.sendAtLeastOnce("a", i));
        }
        java.util.concurrent.CompletableFuture.allOf(sent.toArray(java.util.concurrent.CompletableFuture[]::new))
                .get(20, TimeUnit.SECONDS);
        for (int i = 0; i < 500; i++) {
            assertThat(ib.next().message().decode(Integer.class)).isEqualTo(i);
            assertThat(ia.next().message().decode(Integer.class)).isEqualTo(i);
        }
        assertThat(ia.got).as("nothing twice").isEmpty();
        assertThat(ib.got).as("nothing twice").isEmpty();
        assertThat(net.get(0).metrics().get("atLeastOnceUnacknowledged")).isZero();
        assertThatThrownBy(() -> a.sendAtLeastOnce("nobody", "x").get(10, TimeUnit.SECONDS))
                .hasCauseInstanceOf(PeerNotFoundException.class);
        // A peer gone after its location was cached: the refusal crosses back typed through the stream.
        Peer gone = net.get(1).create("gone");
        a.sendAtLeastOnce("gone", "first").get(10, TimeUnit.SECONDS);
        gone.remove();
        assertThatThrownBy(() -> a.sendAtLeastOnce("gone", "second").get(10, TimeUnit.SECONDS))
                .hasCauseInstanceOf(PeerNotFoundException.class);
        a.sendAtLeastOnce("b", "after").get(10, TimeUnit.SECONDS);
        assertThat(ib.next().message().payloadText()).isEqualTo("after");
    }

    @Test
    void shouldMatchSubjectWildcardsAcrossHostsAndNothingElse() throws Exception {
        List<Host> net = network(2);
        Hosts.Inbox star = new Hosts.Inbox();
        Hosts.Inbox rest = new Hosts.Inbox();
        net.get(1).subscribe("orders.*", star).get(10, TimeUnit.SECONDS);
        net.get(1).subscribe("orders.>", rest).get(10, TimeUnit.SECONDS);
        Hosts.Inbox glob = new Hosts.Inbox();
        // Characters that are patterns to a broker (Redis globs, NATS tokens) are plain text to a subject.
        net.get(1).subscribe("price.[ab]?", glob).get(10, TimeUnit.SECONDS);
        for (String s : List.of("orders", "orders.eu.new", "orders.eu", "ordersX.eu", "billing.eu", "price.a",
                "price.ab", "price.[ab]?")) {
            net.get(0).publish(s, s);
        }
        assertThatThrownBy(() -> net.get(0).publish("orders.*", "x")).isInstanceOf(IllegalArgumentException.class);
        assertThat(glob.next().message().payloadText()).isEqualTo("price.[ab]?");
        assertThat(star.next().message().payloadText()).isEqualTo("orders.eu");
        assertThat(rest.next().message().payloadText()).isEqualTo("orders.eu.new");
        assertThat(rest.next().message().payloadText()).isEqualTo("orders.eu");
        net.get(0).publish("orders.end", "end");
        assertThat(star.next().message().payloadText()).isEqualTo("end");
        assertThat(rest.next().message().payloadText()).isEqualTo("end");
        assertThat(star.got).isEmpty();
        assertThat(rest.got).isEmpty();
        assertThat(glob.got).isEmpty();
    }

    @Test
    void shouldGiveEachMessageOfAQueueGroupToOneMember() throws Exception {
        List<Host> net = network(3);
        Set<Integer> seen = ConcurrentHashMap.newKeySet();
        AtomicInteger onB = new AtomicInteger();
        AtomicInteger onC = new AtomicInteger();
        AtomicInteger twice = new AtomicInteger();
        net.get(1).subscribe("jobs.>", "workers", (f, m) -> {
            onB.incrementAndGet();
            if (!seen.add(m.decode(Integer.class))) {
                twice.incrementAndGet();
            }
        }).get(10, TimeUnit.SECONDS);
        net.get(2).subscribe("jobs.>", "workers", (f, m) -> {
            onC.incrementAndGet();
            if (!seen.add(m.decode(Integer.class))) {
                twice.incrementAndGet();
            }
        }).get(10, TimeUnit.SECONDS);
        for (int i = 0; i < 100; i++) {
            net.get(0).publish("jobs.run", i);
        }
        await().atMost(WAIT).until(() -> seen.size() == 100);
        assertThat(twice.get()).isZero();
        assertThat(onB.get() + onC.get()).isEqualTo(100);
        assertThat(onB.get()).isPositive();
        assertThat(onC.get()).isPositive();
    }

    @Test
    void shouldBroadcastToEveryOtherPeerAndSendToPeerPatterns() throws Exception {
        List<Host> net = network(3);
        Peer sender = net.get(0).create("sender");
        Hosts.Inbox self = Hosts.Inbox.of(sender);
        Hosts.Inbox near = Hosts.Inbox.of(net.get(0).create("sensors.near"));
        Hosts.Inbox far = Hosts.Inbox.of(net.get(1).create("sensors.far"));
        Hosts.Inbox other = Hosts.Inbox.of(net.get(2).create("actuators.x"));
        sender.broadcast("all");
        for (Hosts.Inbox in : List.of(near, far, other)) {
            Hosts.Inbox.Got g = in.next();
            assertThat(g.from()).isEqualTo("sender");
            assertThat(g.message().payloadText()).isEqualTo("all");
        }
        sender.sendToPattern("sensors.*", "some");
        assertThat(near.next().message().payloadText()).isEqualTo("some");
        assertThat(far.next().message().payloadText()).isEqualTo("some");
        sender.send("actuators.x", "marker").get(10, TimeUnit.SECONDS);
        assertThat(other.next().message().payloadText()).isEqualTo("marker");
        assertThat(self.got).isEmpty();
    }

    @Test
    void shouldListAllPeersPageByPage() throws Exception {
        List<Host> net = network(3);
        List<String> expected = new ArrayList<>();
        for (int i = 0; i < 30; i++) {
            String id = String.format("p%02d", i);
            net.get(i % 3).create(id);
            expected.add(id);
        }
        List<String> all = new ArrayList<>();
        String after = null;
        while (true) {
            List<String> page = net.get(0).listPeers(after, 7).get(10, TimeUnit.SECONDS);
            if (page.isEmpty()) {
                break;
            }
            assertThat(page.size()).isLessThanOrEqualTo(7);
            all.addAll(page);
            after = page.get(page.size() - 1);
        }
        assertThat(all).isEqualTo(expected);
    }

    @Test
    void shouldForgetTheHostAndPeersOfAHostThatLeaves() throws Exception {
        List<Host> net = network(3);
        Peer a = net.get(0).create("a");
        net.get(2).create("gone");
        a.send("gone", "x").get(10, TimeUnit.SECONDS);
        net.get(2).close().get(15, TimeUnit.SECONDS);
        await().atMost(WAIT).until(() -> !net.get(0).members().contains(net.get(2).id())
                && !net.get(1).members().contains(net.get(2).id()));
        assertThatThrownBy(() -> a.send("gone", "y").get(10, TimeUnit.SECONDS))
                .hasCauseInstanceOf(MeshbusException.class);
        assertThatThrownBy(() -> net.get(1).find("gone").get(10, TimeUnit.SECONDS))
                .hasCauseInstanceOf(PeerNotFoundException.class);
    }

    @Test
    void shouldLetALateHostReachPeersAndSubscriptionsMadeBeforeIt() throws Exception {
        List<Host> net = network(2);
        Hosts.Inbox early = Hosts.Inbox.of(net.get(1).create("early"));
        Hosts.Inbox sub = new Hosts.Inbox();
        net.get(1).subscribe("late.>", sub).get(10, TimeUnit.SECONDS);
        Host late = start("late-" + namespace);
        connect(late, net.get(0));
        await().atMost(WAIT).until(() -> late.members().size() == 2);
        late.create("l").send("early", "hello").get(10, TimeUnit.SECONDS);
        assertThat(early.next().message().payloadText()).isEqualTo("hello");
        late.publish("late.news", "n");
        assertThat(sub.next().message().payloadText()).isEqualTo("n");
    }
}

package io.meshbus.bus;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.meshbus.error.NetworkIdMismatchException;
import io.meshbus.error.PeerNotFoundException;
import io.meshbus.error.PeerUnreachableException;
import io.meshbus.node.SendStatus;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** distribus's host, peer, join, find, send, leave and reconnect scenarios, and its bugs as regressions. */
class BusBehaviourTest {
    private Hosts hosts;

    private Hosts on(String scheme) {
        hosts = new Hosts(scheme);
        return hosts;
    }

    @AfterEach
    void closeHosts() {
        if (hosts != null) {
            hosts.close();
        }
    }

    private static void awaitMesh(List<Host> all) {
        await().atMost(Hosts.WAIT).until(() -> all.stream().allMatch(h -> h.members().size() == all.size() - 1));
    }

    @ParameterizedTest
    @ValueSource(strings = {"tcp", "mem", "tcp+io", "mem+io"})
    void shouldCreateGetAndRemovePeersAndRefuseDuplicates(String scheme) {
        Host h = on(scheme).start();
        Peer p = h.create("p1");
        assertThat(h.get("p1")).isSameAs(p);
        assertThatThrownBy(() -> h.create("p1")).isInstanceOf(IllegalArgumentException.class)
                .hasMessage("Id already exists (id: p1)");
        assertThat(h.peers()).containsExactly(p);
        assertThat(h.remove("p1")).isTrue();
        assertThat(h.get("p1")).isNull();
        assertThat(h.remove("p1")).isFalse();
    }

    @ParameterizedTest
    @ValueSource(strings = {"tcp", "mem", "tcp+io", "mem+io"})
    void shouldSendLocallyWithConfirmationAndFailForAnUnknownPeer(String scheme) throws Exception {
        Host h = on(scheme).start();
        Peer a = h.create("a");
        Hosts.Inbox ib = Hosts.Inbox.of(h.create("b"));
        assertThat(a.send("b", "hello").get(10, TimeUnit.SECONDS)).isNull();
        Hosts.Inbox.Got g = ib.next();
        assertThat(g.from()).isEqualTo("a");
        assertThat(g.message().payloadText()).isEqualTo("hello");
        assertThatThrownBy(() -> a.send("nobody", "x").get(10, TimeUnit.SECONDS))
                .hasCauseInstanceOf(PeerNotFoundException.class).cause().hasMessage("Peer not found (id: nobody)");
    }

    @ParameterizedTest
    @ValueSource(strings = {"tcp", "mem", "tcp+io", "mem+io"})
    void shouldSendAcrossHostsAndReply(String scheme) throws Exception {
        on(scheme);
        Host h1 = hosts.start();
        Host h2 = hosts.start();
        Hosts.join(h2, h1);
        Peer p1 = h1.create("peer1");
        Peer p2 = h2.create("peer2");
        Hosts.Inbox i1 = Hosts.Inbox.of(p1);
        p2.onMessage((from, m) -> p2.send(from, "re: " + m.payloadText()));
        p1.send("peer2", "hi").get(10, TimeUnit.SECONDS);
        Hosts.Inbox.Got back = i1.next();
        assertThat(back.from()).isEqualTo("peer2");
        assertThat(back.message().payloadText()).isEqualTo("re: hi");
        assertThat(h1.find("peer2").get(10, TimeUnit.SECONDS).hostId()).isEqualTo(h2.id());
        assertThat(h1.find("peer2").get(10, TimeUnit.SECONDS).address()).isEqualTo(h2.info());
        assertThat(h1.find("peer1").get(10, TimeUnit.SECONDS).hostId()).isEqualTo(h1.id());
        assertThatThrownBy(() -> h1.find("ghost").get(10, TimeUnit.SECONDS))
                .hasCauseInstanceOf(PeerNotFoundException.class);
    }

    @ParameterizedTest
    @ValueSource(strings = {"tcp", "mem", "tcp+io", "mem+io"})
    void shouldPropagateRemoteErrorsAndEvictStaleLocations(String scheme) throws Exception {
        // distribus resolved a send to a peer removed on its remote host with undefined and kept the stale entry.
        on(scheme);
        Host h1 = hosts.start();
        Host h2 = hosts.start();
        Host h3 = hosts.start();
        Hosts.join(h2, h1);
        Hosts.join(h3, h1);
        awaitMesh(List.of(h1, h2, h3));
        Peer a = h1.create("a");
        h2.create("mover");
        a.send("mover", "one").get(10, TimeUnit.SECONDS);
        h2.remove("mover");
        assertThatThrownBy(() -> a.send("mover", "two").get(10, TimeUnit.SECONDS))
                .hasCauseInstanceOf(PeerNotFoundException.class);
        Hosts.Inbox moved = Hosts.Inbox.of(h3.create("mover"));
        await().atMost(Hosts.WAIT).untilAsserted(() -> a.send("mover", "three").get(10, TimeUnit.SECONDS));
        assertThat(moved.next().message().payloadText()).isEqualTo("three");
        assertThat(h1.find("mover").get(10, TimeUnit.SECONDS).hostId()).isEqualTo(h3.id());
    }

    @ParameterizedTest
    @ValueSource(strings = {"tcp", "mem", "tcp+io", "mem+io"})
    void shouldHonourNetworkIds(String scheme) throws Exception {
        on(scheme);
        Host foo = hosts.start(hosts.builder(Hosts.unique("h")).networkId("foo"));
        Host alsoFoo = hosts.start(hosts.builder(Hosts.unique("h")).networkId("foo"));
        Host bar = hosts.start(hosts.builder(Hosts.unique("h")).networkId("bar"));
        Host none = hosts.start();
        Hosts.join(alsoFoo, foo);
        assertThat(alsoFoo.members()).containsExactly(foo.id());
        assertThatThrownBy(() -> bar.join(foo.info().toString()).get(20, TimeUnit.SECONDS))
                .hasCauseInstanceOf(NetworkIdMismatchException.class).cause()
                .hasMessage("Network id mismatch (foo !== bar)");
        assertThat(bar.networkId()).isEqualTo("bar");
        assertThat(bar.members()).isEmpty();
        Hosts.join(none, foo);
        assertThat(none.networkId()).isEqualTo("foo");
        await().atMost(Hosts.WAIT).until(() -> foo.members().size() == 2);
        assertThat(foo.members()).doesNotContain(bar.id());
    }

    @ParameterizedTest
    @ValueSource(strings = {"tcp", "mem", "tcp+io", "mem+io"})
    void shouldFailToJoinADeadHost(String scheme) throws Exception {
        on(scheme);
        Host gone = hosts.start();
        String where = gone.info().toString();
        gone.close().get(10, TimeUnit.SECONDS);
        Host h = hosts.start();
        assertThatThrownBy(() -> h.join(where).get(20, TimeUnit.SECONDS))
                .hasCauseInstanceOf(PeerUnreachableException.class);
    }

    @ParameterizedTest
    @ValueSource(strings = {"tcp", "mem", "tcp+io", "mem+io"})
    void shouldFormOneNetworkWhateverTheJoinOrder(String scheme) {
        on(scheme);
        for (int order = 0; order < 3; order++) {
            Host a = hosts.start();
            Host b = hosts.start();
            Host c = hosts.start();
            switch (order) {
                case 0 -> {
                    Hosts.join(b, a);
                    Hosts.join(c, a);
                }
                case 1 -> {
                    Hosts.join(b, a);
                    Hosts.join(c, b);
                }
                default -> {
                    Hosts.join(a, b);
                    Hosts.join(c, a);
                }
            }
            awaitMesh(List.of(a, b, c));
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"tcp", "mem", "tcp+io", "mem+io"})
    void shouldMergeTwoNetworks(String scheme) throws Exception {
        on(scheme);
        Host a = hosts.start();
        Host b = hosts.start();
        Host c = hosts.start();
        Host d = hosts.start();
        Hosts.join(b, a);
        Hosts.join(d, c);
        Peer pa = a.create("pa");
        Hosts.Inbox id = Hosts.Inbox.of(d.create("pd"));
        Hosts.join(a, c);
        awaitMesh(List.of(a, b, c, d));
        await().atMost(Hosts.WAIT).untilAsserted(() -> pa.send("pd", "merged").get(10, TimeUnit.SECONDS));
        assertThat(id.next().message().payloadText()).isEqualTo("merged");
    }

    @ParameterizedTest
    @ValueSource(strings = {"tcp", "mem", "tcp+io", "mem+io"})
    void shouldConvergeWhenTwentyHostsJoinInRandomOrderAtOnce(String scheme) {
        on(scheme);
        List<Host> all = new ArrayList<>();
        for (int i = 0; i < 20; i++) {
            all.add(hosts.start());
        }
        Random r = new Random(42);
        List<CompletableFuture<Host>> joins = new ArrayList<>();
        List<Host> order = new ArrayList<>(all);
        Collections.shuffle(order, r);
        for (int i = 1; i < order.size(); i++) {
            Host seed = order.get(r.nextInt(i));
            joins.add(order.get(i).join(seed.info().toString()));
        }
        CompletableFuture.allOf(joins.toArray(new CompletableFuture[0])).orTimeout(60, TimeUnit.SECONDS).join();
        awaitMesh(all);
        for (Host h : all) {
            assertThat(h.node().connections()).hasSize(19);
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"tcp", "mem", "tcp+io", "mem+io"})
    void shouldForgetTheAPeersOfAHostThatLeaves(String scheme) throws Exception {
        on(scheme);
        Host h1 = hosts.start();
        Host h2 = hosts.start();
        Hosts.join(h2, h1);
        Peer a = h1.create("a");
        h2.create("b");
        a.send("b", "x").get(10, TimeUnit.SECONDS);
        h2.close().get(10, TimeUnit.SECONDS);
        await().atMost(Hosts.WAIT).until(() -> h1.members().isEmpty());
        assertThatThrownBy(() -> a.send("b", "y").get(10, TimeUnit.SECONDS))
                .hasCauseInstanceOf(PeerNotFoundException.class);
    }

    @ParameterizedTest
    @ValueSource(strings = {"tcp", "mem", "tcp+io", "mem+io"})
    void shouldKeepAHostThatDropsUntilTheReconnectTimeout(String scheme) throws Exception {
        on(scheme);
        Host h1 = hosts.start(hosts.builder(Hosts.unique("h")).reconnectTimeout(Duration.ofMillis(800)));
        Host h2 = hosts.start();
        Hosts.join(h2, h1);
        h2.create("b");
        assertThat(h1.find("b").get(10, TimeUnit.SECONDS).hostId()).isEqualTo(h2.id());
        String h2id = h2.id();
        // A hard stop: the node goes, without the host's goodbye.
        h2.node().close().get(10, TimeUnit.SECONDS);
        assertThat(h1.members()).contains(h2id);
        await().atMost(Hosts.WAIT).until(() -> !h1.members().contains(h2id));
        assertThatThrownBy(() -> h1.find("b").get(10, TimeUnit.SECONDS))
                .hasCauseInstanceOf(PeerNotFoundException.class);
    }

    @ParameterizedTest
    @ValueSource(strings = {"tcp", "mem", "tcp+io", "mem+io"})
    void shouldReconnectAutomaticallyAfterALinkDrops(String scheme) throws Exception {
        on(scheme);
        Host h1 = hosts.start();
        Host h2 = hosts.start();
        Hosts.join(h2, h1);
        Peer a = h1.create("a");
        Hosts.Inbox ib = Hosts.Inbox.of(h2.create("b"));
        a.send("b", "before").get(10, TimeUnit.SECONDS);
        ib.next();
        h2.node().disconnect(h1.id()).get(10, TimeUnit.SECONDS);
        await().atMost(Hosts.WAIT).untilAsserted(() -> a.send("b", "after").get(10, TimeUnit.SECONDS));
        assertThat(h1.members()).containsExactly(h2.id());
    }

    @ParameterizedTest
    @ValueSource(strings = {"tcp", "mem", "tcp+io", "mem+io"})
    void shouldAcceptARestartedHostAsANewIncarnation(String scheme) throws Exception {
        on(scheme);
        Host h1 = hosts.start();
        String id = Hosts.unique("h");
        Host old = hosts.start(id);
        Hosts.join(old, h1);
        old.create("old-peer");
        Peer a = h1.create("a");
        a.send("old-peer", "x").get(10, TimeUnit.SECONDS);
        old.node().close().get(10, TimeUnit.SECONDS);
        Host fresh = hosts.start(id);
        Hosts.Inbox ib = Hosts.Inbox.of(fresh.create("new-peer"));
        Hosts.join(fresh, h1);
        await().atMost(Hosts.WAIT).untilAsserted(() -> a.send("new-peer", "hi").get(10, TimeUnit.SECONDS));
        assertThat(ib.next().message().payloadText()).isEqualTo("hi");
        assertThatThrownBy(() -> a.send("old-peer", "y").get(10, TimeUnit.SECONDS))
                .hasCauseInstanceOf(PeerNotFoundException.class);
    }

    @ParameterizedTest
    @ValueSource(strings = {"tcp", "mem", "tcp+io", "mem+io"})
    void shouldKeepOrderFromOnePeerToAnother(String scheme) throws Exception {
        on(scheme);
        Host h1 = hosts.start();
        Host h2 = hosts.start();
        Hosts.join(h2, h1);
        Peer a = h1.create("a");
        int n = 5000;
        List<Integer> got = Collections.synchronizedList(new ArrayList<>());
        CountDownLatch all = new CountDownLatch(n);
        h2.create("b").onMessage((from, m) -> {
            got.add(Integer.parseInt(m.payloadText()));
            all.countDown();
        });
        List<CompletableFuture<Void>> confirmations = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            if (i % 2 == 0) {
                confirmations.add(a.send("b", Integer.toString(i)));
            } else {
                assertThat(a.sendAndForget("b", Integer.toString(i)).accepted()).isTrue();
            }
        }
        assertThat(all.await(30, TimeUnit.SECONDS)).isTrue();
        CompletableFuture.allOf(confirmations.toArray(new CompletableFuture[0])).get(10, TimeUnit.SECONDS);
        for (int i = 0; i < n; i++) {
            assertThat(got.get(i)).isEqualTo(i);
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"tcp", "mem", "tcp+io", "mem+io"})
    void shouldListAllPeerIdsPageByPage(String scheme) throws Exception {
        on(scheme);
        Host h1 = hosts.start();
        Host h2 = hosts.start();
        Host h3 = hosts.start();
        Hosts.join(h2, h1);
        Hosts.join(h3, h1);
        awaitMesh(List.of(h1, h2, h3));
        List<String> expected = new ArrayList<>();
        for (int i = 0; i < 150; i++) {
            String id = String.format("peer-%03d", i);
            List.of(h1, h2, h3).get(i % 3).create(id);
            expected.add(id);
        }
        List<String> seen = new ArrayList<>();
        String after = null;
        for (;;) {
            List<String> page = h2.listPeers(after, 20).get(10, TimeUnit.SECONDS);
            assertThat(page.size()).isLessThanOrEqualTo(20);
            if (page.isEmpty()) {
                break;
            }
            seen.addAll(page);
            after = page.get(page.size() - 1);
        }
        assertThat(seen).containsExactlyElementsOf(expected);
    }

    @ParameterizedTest
    @ValueSource(strings = {"tcp", "mem", "tcp+io", "mem+io"})
    void shouldReturnAStatusForFireAndForget(String scheme) throws Exception {
        on(scheme);
        Host h1 = hosts.start();
        Host h2 = hosts.start();
        Hosts.join(h2, h1);
        Peer a = h1.create("a");
        Hosts.Inbox ib = Hosts.Inbox.of(h2.create("b"));
        assertThat(a.sendAndForget("b", "first").accepted()).isTrue();
        assertThat(ib.next().message().payloadText()).isEqualTo("first");
        await().atMost(Hosts.WAIT).until(() -> h1.metrics().get("directoryCache") == 1);
        assertThat(a.sendAndForget("b", "cached")).isEqualTo(SendStatus.SENT);
        assertThat(ib.next().message().payloadText()).isEqualTo("cached");
        a.sendAndForget("nobody", "lost");
        await().atMost(Hosts.WAIT).until(() -> h1.metrics().get("dropped") == 1);
    }

    @ParameterizedTest
    @ValueSource(strings = {"tcp", "mem", "tcp+io", "mem+io"})
    void shouldFindAPeerWhileAnotherHostIsDown(String scheme) throws Exception {
        // distribus's find never settled when any host failed to answer.
        on(scheme);
        Host h1 = hosts.start();
        Host h2 = hosts.start();
        Host h3 = hosts.start();
        Hosts.join(h2, h1);
        Hosts.join(h3, h1);
        awaitMesh(List.of(h1, h2, h3));
        for (int i = 0; i < 20; i++) {
            h2.create("p" + i);
        }
        h3.node().close().get(10, TimeUnit.SECONDS);
        for (int i = 0; i < 20; i++) {
            assertThat(h1.find("p" + i).get(10, TimeUnit.SECONDS).hostId()).isEqualTo(h2.id());
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"tcp", "mem", "tcp+io", "mem+io"})
    void shouldReachThePeersOfAHostThatDoesNotListen(String scheme) throws Exception {
        // distribus registered a host that never listened nowhere but at its seed: its peers were unreachable.
        on(scheme);
        Host a = hosts.start();
        Host b = hosts.start();
        Hosts.join(b, a);
        Host client = hosts.start(Host.builder().id(Hosts.unique("client")));
        assertThat(client.info()).isNull();
        Hosts.Inbox ib = Hosts.Inbox.of(client.create("browser-like"));
        Hosts.join(client, a);
        awaitMesh(List.of(a, b, client));
        Peer pb = b.create("pb");
        await().atMost(Hosts.WAIT).untilAsserted(() -> pb.send("browser-like", "hello").get(10, TimeUnit.SECONDS));
        assertThat(ib.next().from()).isEqualTo("pb");
        // A host that joins later, through another member, reaches it too: members announce newcomers.
        Host late = hosts.start();
        Hosts.join(late, b);
        awaitMesh(List.of(a, b, client, late));
        Peer pl = late.create("pl");
        await().atMost(Hosts.WAIT).untilAsserted(() -> pl.send("browser-like", "late").get(10, TimeUnit.SECONDS));
        assertThat(ib.next().from()).isEqualTo("pl");
    }

    @ParameterizedTest
    @ValueSource(strings = {"tcp"})
    void shouldJoinThroughADnsNameAndASeedList(String scheme) throws Exception {
        on(scheme);
        Host h1 = hosts.start();
        Host h2 = hosts.start();
        Host h3 = hosts.start();
        h2.join("tcp://localhost:" + h1.info().getPort()).get(20, TimeUnit.SECONDS);
        h3.join("tcp://127.0.0.1:" + Ports.unused(), h1.info().toString()).get(20, TimeUnit.SECONDS);
        awaitMesh(List.of(h1, h2, h3));
    }

    @ParameterizedTest
    @ValueSource(strings = {"tcp", "mem", "tcp+io", "mem+io"})
    void shouldValidateOptions(String scheme) {
        assertThatThrownBy(() -> Host.builder().reconnectDecay(0.5).options())
                .hasMessageContaining("reconnectDecay");
        assertThatThrownBy(() -> Host.builder().requestTimeout(Duration.ZERO).options())
                .hasMessageContaining("requestTimeout");
        Host h = on(scheme).start(hosts.builder("x").networkId("n1"));
        assertThat(h.networkId()).isEqualTo("n1");
        assertThat(h.options().reconnectDecay()).isEqualTo(2.0);
        assertThat(h.options().requestTimeout()).isEqualTo(Duration.ofSeconds(60));
    }
}

package io.meshbus.bus;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Pub/sub across hosts: distribus's scenarios, wildcards, queue groups, interest routing, reconnects, broadcast. */
class ChannelsTest {
    private Hosts hosts;

    @AfterEach
    void closeHosts() {
        if (hosts != null) {
            hosts.close();
        }
    }

    private List<Host> network(String scheme, int n) {
        hosts = new Hosts(scheme);
        List<Host> all = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            Host h = hosts.start();
            if (!all.isEmpty()) {
                Hosts.join(h, all.get(0));
            }
            all.add(h);
        }
        await().atMost(Hosts.WAIT).until(() -> all.stream().allMatch(h -> h.members().size() == n - 1));
        return all;
    }

    @ParameterizedTest
    @ValueSource(strings = {"tcp", "mem", "tcp+io"})
    void shouldDeliverStringsAndObjectsToSeveralSubscribersAcrossHostsAndStopAfterUnsubscribe(String scheme)
            throws Exception {
        List<Host> net = network(scheme, 2);
        Host h1 = net.get(0);
        Host h2 = net.get(1);
        Hosts.Inbox local = new Hosts.Inbox();
        Hosts.Inbox remote1 = new Hosts.Inbox();
        Hosts.Inbox remote2 = new Hosts.Inbox();
        Subscription sl = h1.subscribe("news", local).get(10, TimeUnit.SECONDS);
        Subscription s1 = h2.subscribe("news", remote1).get(10, TimeUnit.SECONDS);
        h2.subscribe("news", remote2).get(10, TimeUnit.SECONDS);
        h1.publish("news", "text");
        h1.publish("news", Map.of("k", 1));
        for (Hosts.Inbox in : List.of(local, remote1, remote2)) {
            Hosts.Inbox.Got a = in.next();
            assertThat(a.from()).isEqualTo(h1.id());
            assertThat(a.message().payloadText()).isEqualTo("text");
            assertThat(a.message().header("channel")).isEqualTo("news");
            assertThat(in.next().message().decode(Map.class)).isEqualTo(Map.of("k", 1));
        }
        s1.unsubscribe();
        sl.unsubscribe();
        h1.publish("news", "again");
        assertThat(remote2.next().message().payloadText()).isEqualTo("again");
        assertThat(remote1.got).isEmpty();
        assertThat(local.got).isEmpty();
    }

    @ParameterizedTest
    @ValueSource(strings = {"tcp", "mem", "tcp+io"})
    void shouldSpreadAQueueGroupAcrossHostsAndFailOverWhenAMemberLeaves(String scheme) throws Exception {
        List<Host> net = network(scheme, 3);
        AtomicInteger onB = new AtomicInteger();
        AtomicInteger onC = new AtomicInteger();
        Hosts.Inbox plain = new Hosts.Inbox();
        net.get(1).subscribe("jobs.>", "workers", (f, m) -> onB.incrementAndGet()).get(10, TimeUnit.SECONDS);
        net.get(2).subscribe("jobs.>", "workers", (f, m) -> onC.incrementAndGet()).get(10, TimeUnit.SECONDS);
        net.get(2).subscribe("jobs.>", plain).get(10, TimeUnit.SECONDS);
        for (int i = 0; i < 100; i++) {
            net.get(0).publish("jobs.run", i);
        }
        await().atMost(Hosts.WAIT).until(() -> onB.get() + onC.get() == 100 && plain.got.size() == 100);
        assertThat(onB.get()).isPositive();
        assertThat(onC.get()).isPositive();
        net.get(2).close().get(10, TimeUnit.SECONDS);
        await().atMost(Hosts.WAIT).until(() -> !net.get(0).members().contains(net.get(2).id()));
        for (int i = 0; i < 50; i++) {
            net.get(0).publish("jobs.run", i);
        }
        await().atMost(Hosts.WAIT).until(() -> onB.get() + onC.get() == 150);
        assertThat(onB.get() + onC.get()).isEqualTo(150);
    }

    @ParameterizedTest
    @ValueSource(strings = {"tcp", "mem", "tcp+io"})
    void shouldSendAPublishOnlyToInterestedHostsOncePerHost(String scheme) throws Exception {
        List<Host> net = network(scheme, 3);
        Host pub = net.get(0);
        Host interested = net.get(1);
        Host bystander = net.get(2);
        AtomicInteger got = new AtomicInteger();
        interested.subscribe("t.*", (f, m) -> got.incrementAndGet()).get(10, TimeUnit.SECONDS);
        interested.subscribe("t.>", (f, m) -> got.incrementAndGet()).get(10, TimeUnit.SECONDS);
        // Membership and interest announcements settle first; then only publishes move the counters.
        long[] last = {-1};
        await().during(Duration.ofMillis(300)).atMost(Hosts.WAIT).until(() -> {
            long now = interested.node().metrics().messagesReceived() + bystander.node().metrics().messagesReceived();
            boolean stable = now == last[0];
            last[0] = now;
            return stable;
        });
        long before1 = interested.node().metrics().messagesReceived();
        long before2 = bystander.node().metrics().messagesReceived();
        for (int i = 0; i < 100; i++) {
            pub.publish("t.x", i);
        }
        await().atMost(Hosts.WAIT).until(() -> got.get() == 200);
        assertThat(interested.node().metrics().messagesReceived() - before1).isEqualTo(100);
        assertThat(bystander.node().metrics().messagesReceived() - before2).isZero();
    }

    @ParameterizedTest
    @ValueSource(strings = {"tcp", "mem", "tcp+io"})
    void shouldKeepSubscriptionsThroughABrokenLinkAndARestartWithoutDuplicates(String scheme) throws Exception {
        List<Host> net = network(scheme, 2);
        Host pub = net.get(0);
        Host sub = net.get(1);
        Hosts.Inbox in = new Hosts.Inbox();
        sub.subscribe("ticks", in).get(10, TimeUnit.SECONDS);
        sub.node().disconnect(pub.id()).get(10, TimeUnit.SECONDS);
        await().atMost(Hosts.WAIT).until(() -> pub.node().isConnected(sub.id()) && sub.members().contains(pub.id()));
        await().atMost(Hosts.WAIT).untilAsserted(() -> {
            pub.publish("ticks", "probe");
            assertThat(in.got.poll(200, TimeUnit.MILLISECONDS)).isNotNull();
        });
        in.got.clear();
        for (int i = 0; i < 10; i++) {
            pub.publish("ticks", i);
        }
        await().atMost(Hosts.WAIT).until(() -> in.got.size() >= 10);
        await().during(Duration.ofMillis(300)).atMost(Duration.ofSeconds(5)).until(() -> in.got.size() == 10);
        assertThat(pub.metrics().get("remoteInterests")).isEqualTo(1);

        // A restarted publisher learns the subscriber's interest again from its fresh admission.
        String pubId = pub.id();
        pub.node().close().get(10, TimeUnit.SECONDS);
        Host again = hosts.start(pubId);
        Hosts.join(again, sub);
        Hosts.Inbox in2 = new Hosts.Inbox();
        await().atMost(Hosts.WAIT).until(() -> again.metrics().get("remoteInterests") == 1);
        in.got.clear();
        again.publish("ticks", "after restart");
        assertThat(in.next().message().payloadText()).isEqualTo("after restart");
        assertThat(in2.got).isEmpty();
    }

    @ParameterizedTest
    @ValueSource(strings = {"tcp", "mem", "tcp+io"})
    void shouldBroadcastAndSendToPeerPatternsAcrossFiveHosts(String scheme) throws Exception {
        List<Host> net = network(scheme, 5);
        List<Hosts.Inbox> sensors = new ArrayList<>();
        List<Hosts.Inbox> others = new ArrayList<>();
        for (int i = 0; i < 5; i++) {
            sensors.add(Hosts.Inbox.of(net.get(i).create("sensors.t" + i)));
            others.add(Hosts.Inbox.of(net.get(i).create("actuators.a" + i)));
        }
        Peer caller = net.get(2).create("caller");
        Hosts.Inbox callerIn = Hosts.Inbox.of(caller);
        caller.sendToPattern("sensors.*", "read");
        for (Hosts.Inbox s : sensors) {
            Hosts.Inbox.Got g = s.next();
            assertThat(g.from()).isEqualTo("caller");
            assertThat(g.message().payloadText()).isEqualTo("read");
        }
        caller.broadcast("all");
        for (Hosts.Inbox s : sensors) {
            assertThat(s.next().message().payloadText()).isEqualTo("all");
        }
        for (Hosts.Inbox o : others) {
            assertThat(o.next().message().payloadText()).isEqualTo("all");
        }
        await().during(Duration.ofMillis(200)).atMost(Duration.ofSeconds(5))
                .until(() -> callerIn.got.isEmpty() && others.stream().allMatch(o -> o.got.isEmpty()));
    }

    @ParameterizedTest
    @ValueSource(strings = {"tcp", "mem", "tcp+io"})
    void shouldTellSubscribersWhichPeerPublished(String scheme) throws Exception {
        List<Host> net = network(scheme, 2);
        Peer watcher = net.get(1).create("watcher");
        Hosts.Inbox in = new Hosts.Inbox();
        watcher.subscribe("alerts.>", in).get(10, TimeUnit.SECONDS);
        Peer alarm = net.get(0).create("alarm-7");
        alarm.publish("alerts.fire", "hot");
        Hosts.Inbox.Got g = in.next();
        assertThat(g.from()).isEqualTo("alarm-7");
        assertThat(g.message().header("channel")).isEqualTo("alerts.fire");
    }
}

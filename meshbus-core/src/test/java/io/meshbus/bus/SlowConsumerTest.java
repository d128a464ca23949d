package io.meshbus.bus;

import static org.assertj.core.api.Assertions.assertThat;

import io.meshbus.error.BackPressureException;
import io.meshbus.error.PeerNotFoundException;
import io.meshbus.message.Message;
import io.meshbus.node.SendStatus;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Slow consumers, each policy, with senders on the same host and on another one. A consumer is made slow by a plug:
 * the first message it gets, sent from its own host so that its listener runs on the executor (not inline on a link's
 * delivery thread), blocks until the test pulls the plug. What arrives meanwhile meets a full queue of capacity 4.
 * Every wait is on a latch or a future, bounded.
 */
class SlowConsumerTest {
    private static final long WAIT_SECONDS = 20;
    private static final int CAPACITY = 4;

    private Hosts hosts;
    private ExecutorService executor;
    private Host h1;
    private Host h2;
    /** On h1, the same host as the slow consumers. */
    private Peer local;
    /** On h2. */
    private Peer remote;
    /** On h1, never slow: a confirmed send to it, after other traffic from h2, says that traffic was handed over. */
    private Peer watcher;

    /** A listener that records what it gets and blocks on its first message until {@link #unplug()}. */
    static final class Plugged implements PeerListener {
        final List<String> got = Collections.synchronizedList(new ArrayList<>());
        final CountDownLatch plugged = new CountDownLatch(1);
        private final CountDownLatch unplug = new CountDownLatch(1);
        private final CountDownLatch expected;

        Plugged(int expected) {
            this.expected = new CountDownLatch(expected);
        }

        @Override
        public void onMessage(String from, Message message) {
            got.add(message.payloadText());
            expected.countDown();
            if (plugged.getCount() > 0) {
                plugged.countDown();
                try {
                    unplug.await(WAIT_SECONDS, TimeUnit.SECONDS);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
        }

        void awaitPlugged() throws InterruptedException {
            assertThat(plugged.await(WAIT_SECONDS, TimeUnit.SECONDS)).as("the plug reached the listener").isTrue();
        }

        void unplug() {
            unplug.countDown();
        }

        void awaitAll() throws InterruptedException {
            assertThat(expected.await(WAIT_SECONDS, TimeUnit.SECONDS)).as("all expected messages, got " + got)
                    .isTrue();
        }
    }

    @BeforeEach
    void start() {
        hosts = new Hosts("tcp");
        // Its own pool: plugged listeners hold threads, which must not starve other tests' hosts in this JVM.
        executor = Executors.newFixedThreadPool(8);
    }

    @AfterEach
    void stop() {
        hosts.close();
        executor.shutdownNow();
    }

    private void twoHosts(HostOptions.Builder first) {
        h1 = hosts.start(first);
        h2 = hosts.start(builder("h2"));
        Hosts.join(h2, h1);
        local = h1.create("local");
        watcher = h1.create("watcher");
        remote = h2.create("remote");
    }

    private void twoHosts() {
        twoHosts(builder("h1"));
    }

    private HostOptions.Builder builder(String name) {
        return builder(name, Duration.ofSeconds(2), 65_536);
    }

    private HostOptions.Builder builder(String name, Duration idleTimeout, int inboundLimit) {
        return Host.builder().id(Hosts.unique(name)).listen("tcp://127.0.0.1:0").reconnectDelay(Duration.ofMillis(50))
                .node(n -> n.heartbeatInterval(idleTimeout.dividedBy(10)).idleTimeout(idleTimeout)
                        .inboundLimit(inboundLimit).executor(executor));
    }

    /** A slow peer on h1, plugged by a confirmed send from {@link #local}; returns the plug's future. */
    private CompletableFuture<Void> plug(Plugged slow) throws InterruptedException {
        CompletableFuture<Void> plug = local.send("slow", "plug");
        slow.awaitPlugged();
        return plug;
    }

    private static List<CompletableFuture<Void>> sendAll(Peer from, String to, int n) {
        List<CompletableFuture<Void>> all = new ArrayList<>();
        for (int i = 1; i <= n; i++) {
            all.add(from.send(to, "m" + i));
        }
        return all;
    }

    private static void awaitDone(List<? extends CompletableFuture<?>> fs) throws Exception {
        CompletableFuture.allOf(fs.stream().map(f -> f.exceptionally(e -> null)).toArray(CompletableFuture[]::new))
                .get(WAIT_SECONDS, TimeUnit.SECONDS);
    }

    /** Which of the futures (numbered from 1) failed with that type, once all of them are done. */
    private static List<Integer> failedWith(List<? extends CompletableFuture<?>> fs, Class<?> type) throws Exception {
        awaitDone(fs);
        List<Integer> out = new ArrayList<>();
        for (int i = 0; i < fs.size(); i++) {
            Throwable e = fs.get(i).handle((v, t) -> t).join();
            if (e instanceof CompletionException && e.getCause() != null) {
                e = e.getCause();
            }
            if (type.isInstance(e)) {
                out.add(i + 1);
            }
        }
        return out;
    }

    private static List<Integer> range(int from, int to) {
        List<Integer> r = new ArrayList<>();
        for (int i = from; i <= to; i++) {
            r.add(i);
        }
        return r;
    }

    private static List<String> payloads(String first, int from, int to) {
        List<String> r = new ArrayList<>();
        if (first != null) {
            r.add(first);
        }
        for (int i = from; i <= to; i++) {
            r.add("m" + i);
        }
        return r;
    }

    private long metric(Host h, String name) {
        return h.metrics().get(name);
    }

    /** Confirms to the watcher on h1: everything h2 sent to h1 before it was handed to h1's queues. */
    private void flushFrom(Peer sender) throws Exception {
        sender.send("watcher", "flush").get(WAIT_SECONDS, TimeUnit.SECONDS);
    }

    // ------------------------------------------------------------------ DROP_NEWEST

    @Test
    void shouldDropTheNewestAndFailTheirSendersTypedForLocalAndRemoteSenders() throws Exception {
        twoHosts();
        Plugged slow = new Plugged(5);
        h1.create("slow", ConsumerOptions.of(CAPACITY, SlowConsumerPolicy.DROP_NEWEST)).onMessage(slow);
        CompletableFuture<Void> plug = plug(slow);

        List<CompletableFuture<Void>> fromAfar = sendAll(remote, "slow", 6);
        CompletableFuture<Message> request = remote.request("slow", "question", Duration.ofSeconds(WAIT_SECONDS));
        // The first four fill the queue, the rest are dropped at once and their senders told why.
        assertThat(failedWith(fromAfar.subList(4, 6), BackPressureException.class)).containsExactly(1, 2);
        assertThat(failedWith(List.of(request), BackPressureException.class)).containsExactly(1);
        List<CompletableFuture<Void>> nearby = sendAll(local, "slow", 2);
        CompletableFuture<Message> localRequest = local.request("slow", "q", Duration.ofSeconds(WAIT_SECONDS));
        assertThat(failedWith(nearby, BackPressureException.class)).containsExactly(1, 2);
        assertThat(failedWith(List.of(localRequest), BackPressureException.class)).containsExactly(1);
        assertThat(local.sendAndForget("slow", "forget")).isEqualTo(SendStatus.BACK_PRESSURED);
        for (int i = 0; i < 3; i++) {
            remote.sendAndForget("slow", "f" + i);
        }
        flushFrom(remote);
        assertThat(metric(h1, "slowConsumerDropped")).isEqualTo(2 + 1 + 2 + 1 + 1 + 3);

        slow.unplug();
        slow.awaitAll();
        CompletableFuture.allOf(fromAfar.subList(0, 4).toArray(CompletableFuture[]::new))
                .get(WAIT_SECONDS, TimeUnit.SECONDS);
        plug.get(WAIT_SECONDS, TimeUnit.SECONDS);
        assertThat(slow.got).containsExactlyElementsOf(payloads("plug", 1, 4));
        assertThat(metric(h1, "slowConsumerRefused")).isZero();
        assertThat(metric(h1, "slowConsumersFailed")).isZero();
        assertThat(metric(h1, "inboundPauses")).isZero();
        assertThat(h1.get("slow")).isNotNull();
    }

    // ------------------------------------------------------------------ DROP_OLDEST

    @Test
    void shouldDropTheOldestAndFailTheirSendersTypedFromAnotherHost() throws Exception {
        twoHosts();
        Plugged slow = new Plugged(5);
        h1.create("slow", ConsumerOptions.of(CAPACITY, SlowConsumerPolicy.DROP_OLDEST)).onMessage(slow);
        CompletableFuture<Void> plug = plug(slow);

        List<CompletableFuture<Void>> fromAfar = sendAll(remote, "slow", 10);
        // m5..m10 each push the oldest out: m1..m6 fail, typed, while the listener is still plugged.
        assertThat(failedWith(fromAfar.subList(0, 6), BackPressureException.class)).isEqualTo(range(1, 6));
        assertThat(metric(h1, "slowConsumerDropped")).isEqualTo(6);

        slow.unplug();
        slow.awaitAll();
        assertThat(failedWith(fromAfar, BackPressureException.class)).isEqualTo(range(1, 6));
        assertThat(fromAfar.subList(6, 10)).allMatch(f -> !f.isCompletedExceptionally());
        plug.get(WAIT_SECONDS, TimeUnit.SECONDS);
        assertThat(slow.got).containsExactlyElementsOf(payloads("plug", 7, 10));
        assertThat(metric(h1, "slowConsumerDropped")).isEqualTo(6);
        assertThat(metric(h1, "inboundPauses")).isZero();
    }

    @Test
    void shouldDropTheOldestForASenderOnTheSameHost() throws Exception {
        twoHosts();
        Plugged slow = new Plugged(5);
        h1.create("slow", ConsumerOptions.of(CAPACITY, SlowConsumerPolicy.DROP_OLDEST)).onMessage(slow);
        plug(slow);

        List<CompletableFuture<Void>> nearby = sendAll(local, "slow", 10);
        assertThat(failedWith(nearby.subList(0, 6), BackPressureException.class)).isEqualTo(range(1, 6));
        slow.unplug();
        slow.awaitAll();
        assertThat(failedWith(nearby, BackPressureException.class)).isEqualTo(range(1, 6));
        assertThat(slow.got).containsExactlyElementsOf(payloads("plug", 7, 10));
        assertThat(metric(h1, "slowConsumerDropped")).isEqualTo(6);
        assertThat(metric(h1, "slowConsumerRefused")).isZero();
    }

    // ------------------------------------------------------------------ FAIL

    @Test
    void shouldRemoveASlowPeerUnderFailAndFailEverySenderTyped() throws Exception {
        twoHosts();
        Plugged slow = new Plugged(1);
        Peer peer = h1.create("slow", ConsumerOptions.of(CAPACITY, SlowConsumerPolicy.FAIL));
        peer.onMessage(slow);
        CompletableFuture<Void> plug = plug(slow);

        List<CompletableFuture<Void>> fromAfar = sendAll(remote, "slow", 10);
        // m1..m4 were queued and m5 found the queue full: all five fail typed; after that the peer is gone.
        assertThat(failedWith(fromAfar, BackPressureException.class)).isEqualTo(range(1, 5));
        assertThat(failedWith(fromAfar, PeerNotFoundException.class)).isEqualTo(range(6, 10));
        assertThat(h1.get("slow")).isNull();
        assertThat(metric(h1, "slowConsumersFailed")).isEqualTo(1);
        assertThat(metric(h1, "slowConsumerDropped")).isEqualTo(5);

        slow.unplug();
        plug.get(WAIT_SECONDS, TimeUnit.SECONDS);
        assertThat(slow.got).containsExactly("plug");
    }

    @Test
    void shouldRemoveASlowPeerUnderFailForASenderOnTheSameHost() throws Exception {
        twoHosts();
        Plugged slow = new Plugged(1);
        h1.create("slow", ConsumerOptions.of(CAPACITY, SlowConsumerPolicy.FAIL)).onMessage(slow);
        plug(slow);

        List<CompletableFuture<Void>> nearby = sendAll(local, "slow", 6);
        assertThat(failedWith(nearby, BackPressureException.class)).isEqualTo(range(1, 5));
        assertThat(failedWith(nearby, PeerNotFoundException.class)).containsExactly(6);
        assertThat(h1.get("slow")).isNull();
        assertThat(metric(h1, "slowConsumersFailed")).isEqualTo(1);
        assertThat(metric(h1, "slowConsumerDropped")).isEqualTo(5);
        slow.unplug();
    }

    // ------------------------------------------------------------------ BACK_PRESSURE

    @Test
    void shouldPauseTheRemoteHostAndLoseNothingUnderBackPressure() throws Exception {
        twoHosts(builder("h1").peerQueue(CAPACITY, SlowConsumerPolicy.BACK_PRESSURE));
        int n = 500;
        Plugged slow = new Plugged(1 + n + 3);
        Peer peer = h1.create("slow");
        assertThat(peer.queue()).isEqualTo(ConsumerOptions.of(CAPACITY, SlowConsumerPolicy.BACK_PRESSURE));
        peer.onMessage(slow);
        CountDownLatch paused = new CountDownLatch(1);
        h1.slowConsumers.watchPauses(host -> {
            if (host.equals(h2.id())) {
                paused.countDown();
            }
        });
        CompletableFuture<Void> plug = plug(slow);

        for (int i = 1; i <= n; i++) {
            assertThat(remote.sendAndForget("slow", "m" + i)).isIn(SendStatus.SENT, SendStatus.QUEUED);
        }
        List<CompletableFuture<Void>> confirmed = new ArrayList<>();
        for (int i = n + 1; i <= n + 3; i++) {
            confirmed.add(remote.send("slow", "m" + i));
        }
        assertThat(paused.await(WAIT_SECONDS, TimeUnit.SECONDS)).as("h1 paused its link from h2").isTrue();
        assertThat(metric(h1, "inboundPauses")).isEqualTo(1);
        // A sender on the slow peer's own host cannot be paused: it is refused instead.
        assertThat(local.sendAndForget("slow", "refused")).isEqualTo(SendStatus.BACK_PRESSURED);
        assertThat(failedWith(List.of(local.send("slow", "refused too")), BackPressureException.class))
                .containsExactly(1);
        assertThat(metric(h1, "slowConsumerRefused")).isEqualTo(2);

        slow.unplug();
        slow.awaitAll();
        CompletableFuture.allOf(confirmed.toArray(CompletableFuture[]::new)).get(WAIT_SECONDS, TimeUnit.SECONDS);
        plug.get(WAIT_SECONDS, TimeUnit.SECONDS);
        assertThat(slow.got).containsExactlyElementsOf(payloads("plug", 1, n + 3));
        assertThat(metric(h1, "slowConsumerDropped")).isZero();
        assertThat(metric(h1, "inboundPauses")).isGreaterThanOrEqualTo(1);
        assertThat(h1.slowConsumers.held()).isZero();
        // The link reads again: a confirmed send from h2 gets through.
        flushFrom(remote);
        assertThat(h1.members()).contains(h2.id());
    }

    @Test
    void shouldKeepALinkPausedUntilEveryReasonToPauseItEndsAndNotTakeItForDead() throws Exception {
        Duration idle = Duration.ofMillis(500);
        twoHosts(builder("h1", idle, 4));
        assertThat(h1.node().pauseInbound("nobody").get(WAIT_SECONDS, TimeUnit.SECONDS)).isFalse();
        Plugged slow = new Plugged(1);
        h1.create("slow").onMessage(slow);
        int n = 50;
        CountDownLatch watched = new CountDownLatch(n + 1);
        watcher.onMessage((from, m) -> watched.countDown());
        // Sent from afar to an idle peer, the plug runs inline and holds h1's delivery of h2's link: what h2 sends
        // next piles up past h1's inbound limit of 4, so the link's own rule stops reading too.
        remote.sendAndForget("slow", "plug");
        slow.awaitPlugged();
        for (int i = 0; i < n; i++) {
            remote.sendAndForget("watcher", "w" + i);
        }
        // Once it completes nothing more is read: the probe below cannot have been read with the traffic before it.
        assertThat(h1.node().pauseInbound(h2.id()).get(WAIT_SECONDS, TimeUnit.SECONDS)).isTrue();
        slow.unplug();
        CompletableFuture<Void> probe = remote.send("watcher", "probe");
        // The inbound limit lets go once the backlog is delivered; the pause must hold regardless, and a link left
        // unread for three idle timeouts is still alive.
        assertThat(probe).failsWithin(idle.multipliedBy(3)).withThrowableThat()
                .isInstanceOf(java.util.concurrent.TimeoutException.class);
        assertThat(h1.node().resumeInbound(h2.id()).get(WAIT_SECONDS, TimeUnit.SECONDS)).isTrue();
        probe.get(WAIT_SECONDS, TimeUnit.SECONDS);
        assertThat(watched.await(WAIT_SECONDS, TimeUnit.SECONDS)).isTrue();
        assertThat(h1.node().metrics().idleTimeouts()).isZero();
        assertThat(h2.node().metrics().idleTimeouts()).isZero();
    }

    // ------------------------------------------------------------------ subscriptions

    @Test
    void shouldApplyASubscriptionsOwnPolicyRatherThanTheHostDefault() throws Exception {
        twoHosts(builder("h1").peerQueue(CAPACITY, SlowConsumerPolicy.BACK_PRESSURE));
        Plugged slow = new Plugged(1 + CAPACITY);
        Subscription sub = h1.subscribe("orders.*", null, slow, ConsumerOptions.of(CAPACITY,
                SlowConsumerPolicy.DROP_OLDEST)).get(WAIT_SECONDS, TimeUnit.SECONDS);
        Subscription plain = h1.subscribe("other.*", (from, m) -> { }).get(WAIT_SECONDS, TimeUnit.SECONDS);
        assertThat(sub.queue().policy()).isEqualTo(SlowConsumerPolicy.DROP_OLDEST);
        assertThat(plain.queue()).isEqualTo(h1.options().peerQueue());

        h1.publish("orders.plug", "plug");
        slow.awaitPlugged();
        for (int i = 1; i <= 10; i++) {
            remote.publish("orders.eu", "m" + i);
        }
        flushFrom(remote);
        assertThat(metric(h1, "slowConsumerDropped")).isEqualTo(6);
        slow.unplug();
        slow.awaitAll();
        assertThat(slow.got).containsExactlyElementsOf(payloads("plug", 7, 10));
        assertThat(metric(h1, "inboundPauses")).isZero();
        assertThat(sub.isActive()).isTrue();
    }

    @Test
    void shouldRefuseLocalPublishesToAFullBackPressureSubscription() throws Exception {
        twoHosts(builder("h1").peerQueue(CAPACITY, SlowConsumerPolicy.BACK_PRESSURE));
        Plugged slow = new Plugged(1 + CAPACITY);
        h1.subscribe("jobs.>", slow).get(WAIT_SECONDS, TimeUnit.SECONDS);
        h1.publish("jobs.plug", "plug");
        slow.awaitPlugged();
        for (int i = 1; i <= 7; i++) {
            local.publish("jobs.a", "m" + i);
        }
        assertThat(metric(h1, "slowConsumerRefused")).isEqualTo(3);
        slow.unplug();
        slow.awaitAll();
        assertThat(slow.got).containsExactlyElementsOf(payloads("plug", 1, 4));
        assertThat(metric(h1, "slowConsumerDropped")).isZero();
    }

    @Test
    void shouldEndASlowSubscriptionUnderFail() throws Exception {
        twoHosts();
        Plugged slow = new Plugged(1);
        Subscription sub = h1.subscribe("alerts.>", null, slow, ConsumerOptions.of(CAPACITY,
                SlowConsumerPolicy.FAIL)).get(WAIT_SECONDS, TimeUnit.SECONDS);
        assertThat(metric(h1, "subscriptions")).isEqualTo(1);
        h1.publish("alerts.plug", "plug");
        slow.awaitPlugged();
        for (int i = 1; i <= 10; i++) {
            remote.publish("alerts.fire", "m" + i);
        }
        flushFrom(remote);
        assertThat(sub.isActive()).isFalse();
        assertThat(metric(h1, "subscriptions")).isZero();
        assertThat(metric(h1, "slowConsumersFailed")).isEqualTo(1);
        // m1..m4 queued and m5 arriving: dropped; m6..m10 found no subscription any more.
        assertThat(metric(h1, "slowConsumerDropped")).isEqualTo(5);
        slow.unplug();
        h1.publish("alerts.after", "after");
        assertThat(slow.got).containsExactly("plug");
    }

    @Test
    void shouldCountBroadcastsDroppedByASlowPeer() throws Exception {
        twoHosts();
        Plugged slow = new Plugged(1 + CAPACITY);
        h1.create("slow", ConsumerOptions.of(CAPACITY, SlowConsumerPolicy.DROP_NEWEST)).onMessage(slow);
        plug(slow);
        for (int i = 1; i <= 6; i++) {
            remote.broadcast("m" + i);
        }
        flushFrom(remote);
        assertThat(metric(h1, "slowConsumerDropped")).isEqualTo(2);
        slow.unplug();
        slow.awaitAll();
        assertThat(slow.got).containsExactlyElementsOf(payloads("plug", 1, 4));
    }
}

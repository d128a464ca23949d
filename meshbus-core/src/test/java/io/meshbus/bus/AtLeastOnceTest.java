package io.meshbus.bus;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.meshbus.bus.stream.AtLeastOnce;
import io.meshbus.error.BackPressureException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The at-least-once mode against slow consumers and its own bound (links breaking are ChaosTest's and HostKillTest's;
 * the carriers are BusContract's). A consumer is slowed by {@link SlowConsumerTest.Plugged}: its first message blocks
 * its listener until the test pulls the plug.
 */
class AtLeastOnceTest {
    private static final long WAIT_SECONDS = 20;

    private Hosts hosts;
    private ExecutorService executor;
    private Host receiving;
    private Host sending;
    private Peer sender;

    @BeforeEach
    void start() {
        hosts = new Hosts("tcp");
        executor = Executors.newFixedThreadPool(8);
    }

    @AfterEach
    void stop() {
        hosts.close();
        executor.shutdownNow();
    }

    private void twoHosts(HostOptions.Builder receiver, HostOptions.Builder sender) {
        receiving = hosts.start(receiver);
        sending = hosts.start(sender);
        Hosts.join(sending, receiving);
        this.sender = sending.create("sender");
    }

    private HostOptions.Builder builder(String name) {
        return Host.builder().id(Hosts.unique(name)).listen("tcp://127.0.0.1:0").reconnectDelay(Duration.ofMillis(50))
                .retransmitAfter(Duration.ofMillis(100)).node(n -> n.executor(executor));
    }

    /** Sends the plug from the receiving host, so the listener blocks on the executor, not on a link's delivery. */
    private static void plug(Host h, String peer, SlowConsumerPolicy policy, SlowConsumerTest.Plugged slow)
            throws Exception {
        Peer p = h.create(peer, ConsumerOptions.of(4, policy));
        p.onMessage(slow);
        h.create("plugger-" + peer).send(peer, "plug");
        slow.awaitPlugged();
    }

    @Test
    void shouldWaitForAConsumerThatDropsRatherThanLoseOrRepeatAnything() throws Exception {
        twoHosts(builder("r"), builder("s"));
        SlowConsumerTest.Plugged slow = new SlowConsumerTest.Plugged(51);
        plug(receiving, "slow", SlowConsumerPolicy.DROP_NEWEST, slow);
        List<CompletableFuture<Void>> sent = new ArrayList<>();
        for (int i = 0; i < 50; i++) {
            sent.add(sender.sendAtLeastOnce("slow", "m" + i));
        }
        // Four fit in the queue; the rest were not taken and come again while the consumer is stuck.
        org.awaitility.Awaitility.await().atMost(Duration.ofSeconds(WAIT_SECONDS))
                .until(() -> sending.metrics().get("atLeastOnceResent") > 0);
        assertThat(sent.stream().filter(CompletableFuture::isDone)).as("nothing confirmed before its delivery")
                .isEmpty();
        slow.unplug();
        CompletableFuture.allOf(sent.toArray(CompletableFuture[]::new)).get(WAIT_SECONDS, TimeUnit.SECONDS);
        slow.awaitAll();
        List<String> expected = new ArrayList<>(List.of("plug"));
        for (int i = 0; i < 50; i++) {
            expected.add("m" + i);
        }
        assertThat(slow.got).as("each once, in order").containsExactlyElementsOf(expected);
        assertThat(receiving.metrics().get("slowConsumerDropped")).as("a policy never drops at-least-once").isZero();
        assertThat(sending.metrics().get("atLeastOnceUnacknowledged")).isZero();
    }

    @Test
    void shouldRefuseTypedAtOnceWhenTheUnacknowledgedBoundIsReached() throws Exception {
        twoHosts(builder("r"), builder("s").unacked(8, 1 << 20));
        SlowConsumerTest.Plugged slow = new SlowConsumerTest.Plugged(9);
        plug(receiving, "slow", SlowConsumerPolicy.BACK_PRESSURE, slow);
        List<CompletableFuture<Void>> sent = new ArrayList<>();
        for (int i = 0; i < 8; i++) {
            sent.add(sender.sendAtLeastOnce("slow", "m" + i));
        }
        CompletableFuture<Void> ninth = sender.sendAtLeastOnce("slow", "m8");
        assertThatThrownBy(() -> ninth.get(WAIT_SECONDS, TimeUnit.SECONDS)).isInstanceOf(ExecutionException.class)
                .hasCauseInstanceOf(BackPressureException.class);
        assertThat(sending.metrics().get("atLeastOnceRefused")).isEqualTo(1);
        slow.unplug();
        CompletableFuture.allOf(sent.toArray(CompletableFuture[]::new)).get(WAIT_SECONDS, TimeUnit.SECONDS);
        slow.awaitAll();
        assertThat(slow.got).doesNotContain("m8").hasSize(9);
        sender.sendAtLeastOnce("slow", "after").get(WAIT_SECONDS, TimeUnit.SECONDS);
    }

    @Test
    void shouldNotTakeACopyMeantForAnEarlierIncarnationOfTheReceivingHost() throws Exception {
        twoHosts(builder("r"), builder("s"));
        Hosts.Inbox inbox = Hosts.Inbox.of(receiving.create("target"));
        sender.sendAtLeastOnce("target", "first").get(WAIT_SECONDS, TimeUnit.SECONDS);
        io.meshbus.message.Message first = inbox.next().message();
        assertThat(first.header(Host.OP)).as("the stream names the receiver's incarnation")
                .contains(":" + receiving.node().incarnation() + ":");
        // What a sender's node still had queued for a previous incarnation: a new stream's first message, which the
        // receiver would otherwise take (a newer epoch starting at 1).
        long earlier = receiving.node().incarnation() - 1;
        io.meshbus.message.Message stale = io.meshbus.message.Message.of(io.meshbus.message.Headers
                .of(Host.OP, "u" + AtLeastOnce.nextEpoch() + ":" + earlier + ":1")
                .with(io.meshbus.message.Headers.FROM, "sender").with(io.meshbus.message.Headers.TO, "target"),
                "meant for the earlier incarnation");
        assertThat(sending.node().send(receiving.id(), stale).accepted()).isTrue();
        sender.sendAtLeastOnce("target", "second").get(WAIT_SECONDS, TimeUnit.SECONDS);
        assertThat(inbox.next().message().payloadText()).isEqualTo("second");
        assertThat(inbox.got).isEmpty();
        assertThat(receiving.metrics().get("atLeastOnceMisaddressed")).isEqualTo(1);
    }

    @Test
    void shouldFailTypedWhatAConsumerCutOffHeldAndKeepTheStreamGoing() throws Exception {
        twoHosts(builder("r"), builder("s"));
        SlowConsumerTest.Plugged slow = new SlowConsumerTest.Plugged(1);
        plug(receiving, "slow", SlowConsumerPolicy.FAIL, slow);
        List<CompletableFuture<Void>> sent = new ArrayList<>();
        for (int i = 0; i < 10; i++) {
            sent.add(sender.sendAtLeastOnce("slow", "m" + i));
        }
        org.awaitility.Awaitility.await().atMost(Duration.ofSeconds(WAIT_SECONDS))
                .until(() -> receiving.metrics().get("slowConsumersFailed") == 1);
        slow.unplug();
        int refused = 0;
        for (CompletableFuture<Void> f : sent) {
            try {
                f.get(WAIT_SECONDS, TimeUnit.SECONDS);
            } catch (ExecutionException e) {
                assertThat(e.getCause()).isInstanceOfAny(BackPressureException.class,
                        io.meshbus.error.PeerNotFoundException.class);
                refused++;
            }
        }
        assertThat(refused).as("what the cut-off consumer held or would have got fails typed").isPositive();
        // The stream to that host is not stuck behind what the cut-off consumer held.
        Hosts.Inbox other = Hosts.Inbox.of(receiving.create("other"));
        sender.sendAtLeastOnce("other", "still flowing").get(WAIT_SECONDS, TimeUnit.SECONDS);
        assertThat(other.next().message().payloadText()).isEqualTo("still flowing");
    }
}

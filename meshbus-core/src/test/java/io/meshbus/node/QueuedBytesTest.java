package io.meshbus.node;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.meshbus.error.BackPressureException;
import io.meshbus.message.Message;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** The per-link byte bound of the send queue: the overflow policy applies, counted, and only to that link. */
class QueuedBytesTest {
    private static final byte[] KIB = new byte[1024];
    private Nodes nodes;

    @AfterEach
    void close() {
        if (nodes != null) {
            nodes.close();
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"tcp", "mem"})
    void shouldRefuseWhatExceedsTheQueuedBytesOfOneLinkAndKeepTheOthersFlowing(String scheme) throws Exception {
        nodes = new Nodes(scheme);
        Node a = nodes.start(nodes.builder(Nodes.uniqueId("a")).maxQueuedBytes(10 * 1024)
                .reconnectDelay(Delay.constant(Duration.ofSeconds(30))));
        Node down = nodes.start(Nodes.uniqueId("b"));
        Node up = nodes.start(Nodes.uniqueId("c"));
        Nodes.Recorder ra = Nodes.record(a);
        Nodes.Recorder rup = Nodes.record(up);
        a.connect(down.info()).get(10, TimeUnit.SECONDS);
        a.connect(up.info()).get(10, TimeUnit.SECONDS);
        down.close().get(10, TimeUnit.SECONDS);
        assertThat(ra.nextDisconnect().reconnecting()).isTrue();
        // Far fewer than sendQueueCapacity messages, but 1 KiB each: the bytes bound is what stops them.
        int queued = 0;
        while (a.send(down.id(), Message.of(KIB)) == SendStatus.QUEUED) {
            queued++;
            assertThat(queued).isLessThan(20);
        }
        assertThat(queued).isBetween(8, 9);
        assertThat(a.metrics().sendsBackPressured()).isEqualTo(1);
        assertThatThrownBy(() -> a.sendAsync(down.id(), Message.of(KIB)).get(5, TimeUnit.SECONDS))
                .hasCauseInstanceOf(BackPressureException.class).cause().hasMessageContaining("bytes");
        assertThat(a.metrics().sendsBackPressured()).isEqualTo(2);
        // The other link is not affected (its own bound is the same 10 KiB, so one message in flight at a time).
        for (int i = 0; i < 50; i++) {
            a.sendAsync(up.id(), Message.of(KIB)).get(10, TimeUnit.SECONDS);
        }
        for (int i = 0; i < 50; i++) {
            assertThat(rup.nextMessage().message().payloadSize()).isEqualTo(1024);
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"tcp", "mem"})
    void shouldDropTheOldestUntilANewMessageFitsUnderDropOldest(String scheme) throws Exception {
        nodes = new Nodes(scheme);
        Node a = nodes.start(nodes.builder(Nodes.uniqueId("a")).maxQueuedBytes(10 * 1024)
                .overflowPolicy(OverflowPolicy.DROP_OLDEST).reconnectDelay(Delay.constant(Duration.ofSeconds(30))));
        Node b = nodes.start(Nodes.uniqueId("b"));
        Nodes.Recorder ra = Nodes.record(a);
        a.connect(b.info()).get(10, TimeUnit.SECONDS);
        b.close().get(10, TimeUnit.SECONDS);
        ra.nextDisconnect();
        CompletableFuture<Void> first = a.sendAsync(b.id(), Message.of(KIB));
        CompletableFuture<Void> second = a.sendAsync(b.id(), Message.of(KIB));
        for (int i = 0; i < 7; i++) {
            a.send(b.id(), Message.of(KIB));
        }
        assertThat(a.metrics().messagesDropped()).isZero();
        // 4 KiB more than fits: the oldest entries go, as many as needed, each failed and counted.
        assertThat(a.send(b.id(), Message.of(new byte[4 * 1024]))).isEqualTo(SendStatus.QUEUED);
        assertThatThrownBy(() -> first.get(5, TimeUnit.SECONDS)).hasCauseInstanceOf(BackPressureException.class);
        assertThatThrownBy(() -> second.get(5, TimeUnit.SECONDS)).hasCauseInstanceOf(BackPressureException.class);
        assertThat(a.metrics().messagesDropped()).isBetween(4L, 5L);
    }

    @Test
    void shouldBackPressureOnlyTheLinkOfAReceiverThatStoppedReading() throws Exception {
        nodes = new Nodes("tcp");
        Node a = nodes.start(nodes.builder(Nodes.uniqueId("a")).maxQueuedBytes(256 * 1024));
        Node stalled = nodes.start(nodes.builder(Nodes.uniqueId("s")).inboundLimit(4));
        Node healthy = nodes.start(Nodes.uniqueId("h"));
        CountDownLatch release = new CountDownLatch(1);
        java.util.concurrent.atomic.AtomicInteger received = new java.util.concurrent.atomic.AtomicInteger();
        stalled.onMessage((from, m) -> {
            try {
                release.await(30, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            received.incrementAndGet();
        });
        Nodes.Recorder rh = Nodes.record(healthy);
        a.connect(stalled.info()).get(10, TimeUnit.SECONDS);
        a.connect(healthy.info()).get(10, TimeUnit.SECONDS);
        Message big = Message.of(new byte[16 * 1024]);
        int accepted = 0;
        SendStatus s;
        while ((s = a.send(stalled.id(), big)) != SendStatus.BACK_PRESSURED) {
            assertThat(s).isIn(SendStatus.SENT, SendStatus.QUEUED);
            accepted++;
            assertThat(accepted).as("TCP buffers and the queue must fill long before this").isLessThan(100_000);
        }
        assertThat(a.metrics().sendsBackPressured()).isPositive();
        a.sendAsync(healthy.id(), Message.of("unaffected")).get(10, TimeUnit.SECONDS);
        assertThat(rh.nextMessage().message().payloadText()).isEqualTo("unaffected");
        release.countDown();
        int expected = accepted;
        org.awaitility.Awaitility.await().atMost(Duration.ofSeconds(30)).until(() -> received.get() == expected);
    }
}

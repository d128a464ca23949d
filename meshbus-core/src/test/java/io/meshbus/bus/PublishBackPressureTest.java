package io.meshbus.bus;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.meshbus.codec.ContentType;
import io.meshbus.message.Headers;
import io.meshbus.message.Message;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** publishAsync: a full send queue holds the publisher back; nothing is refused, every subscriber host gets it all. */
class PublishBackPressureTest {
    private static final int COUNT = 400;
    private static final int SIZE = 64 * 1024;
    private final Hosts hosts = new Hosts("tcp");

    @AfterEach
    void close() {
        hosts.close();
    }

    @Test
    void shouldHoldThePublisherBackWhileOneSubscriberHostCannotTakeMoreAndRefuseNothing() throws Exception {
        Host pub = hosts.start(hosts.builder(Hosts.unique("pub")).node(n -> n.sendQueueCapacity(8)));
        Host slow = hosts.start();
        Host quick = hosts.start();
        Hosts.join(slow, pub);
        Hosts.join(quick, pub);
        ConcurrentLinkedQueue<Integer> slowGot = new ConcurrentLinkedQueue<>();
        ConcurrentLinkedQueue<Integer> quickGot = new ConcurrentLinkedQueue<>();
        slow.subscribe("prices.eu", (from, m) -> slowGot.add(m.payload().getInt(0))).get(10, TimeUnit.SECONDS);
        quick.subscribe("prices.eu", (from, m) -> quickGot.add(m.payload().getInt(0))).get(10, TimeUnit.SECONDS);
        await().atMost(Hosts.WAIT).until(() -> pub.metrics().get("remoteInterests") >= 2);
        // The slow host stops reading the publisher's link: its socket, then the publisher's send queue, fill up.
        assertThat(slow.node().pauseInbound(pub.id()).get(10, TimeUnit.SECONDS)).isTrue();

        List<CompletableFuture<Void>> published = new ArrayList<>();
        for (int i = 0; i < COUNT; i++) {
            byte[] payload = new byte[SIZE];
            ByteBuffer.wrap(payload).putInt(i);
            published.add(pub.publishAsync("prices.eu", Message.ofBytes(Headers.EMPTY, ContentType.BYTES, payload)));
        }
        assertThat(published).as("some publishes wait for room").anyMatch(f -> !f.isDone());
        await().atMost(Hosts.WAIT).until(() -> quickGot.size() == COUNT);

        assertThat(slow.node().resumeInbound(pub.id()).get(10, TimeUnit.SECONDS)).isTrue();
        CompletableFuture.allOf(published.toArray(new CompletableFuture[0])).get(30, TimeUnit.SECONDS);
        await().atMost(Hosts.WAIT).until(() -> slowGot.size() == COUNT);
        List<Integer> expected = new ArrayList<>();
        for (int i = 0; i < COUNT; i++) {
            expected.add(i);
        }
        assertThat(quickGot).containsExactlyElementsOf(expected);
        assertThat(slowGot).as("every publish, each once, in order").containsExactlyElementsOf(expected);
        assertThat(pub.metrics().get("publishesRefused")).isZero();
    }
}

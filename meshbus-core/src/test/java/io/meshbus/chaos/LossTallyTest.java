package io.meshbus.chaos;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.meshbus.message.Message;
import io.meshbus.node.MessageListener;
import io.meshbus.node.Node;
import java.time.Duration;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Fire-and-forget losses on broken links are counted exactly: what one node took for another equals what the other
 * received plus what its TALLY frames say was lost, through resets, cuts and a half-open link.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class LossTallyTest {
    private static final Duration WAIT = Duration.ofSeconds(20);
    private Node receiver;
    private Node sender;
    private ChaosProxy proxy;

    @AfterEach
    void stop() {
        for (Node n : new Node[] {sender, receiver}) {
            if (n != null) {
                n.close().orTimeout(15, TimeUnit.SECONDS).exceptionally(e -> null).join();
            }
        }
        if (proxy != null) {
            proxy.close();
        }
    }

    @Test
    void shouldCountExactlyWhatBrokenLinksLost() throws Exception {
        String suffix = UUID.randomUUID().toString().substring(0, 8);
        receiver = Node.builder("tally-b-" + suffix).listen("tcp://127.0.0.1:0")
                .heartbeatInterval(Duration.ofMillis(100)).idleTimeout(Duration.ofSeconds(1)).build();
        receiver.start().orTimeout(10, TimeUnit.SECONDS).join();
        AtomicLong got = new AtomicLong();
        receiver.onMessage(new MessageListener() {
            @Override
            public void onMessage(String from, Message message) {
                got.incrementAndGet();
            }
        });
        proxy = ChaosProxy.to(receiver.info());
        sender = Node.builder("tally-a-" + suffix).reconnectDelay(io.meshbus.node.Delay.constant(Duration.ofMillis(50)))
                .heartbeatInterval(Duration.ofMillis(100)).idleTimeout(Duration.ofSeconds(1)).build();
        sender.start().orTimeout(10, TimeUnit.SECONDS).join();
        sender.connect(java.net.URI.create(proxy.uri()), true).orTimeout(10, TimeUnit.SECONDS).join();
        String to = receiver.id();
        long taken = 0;
        Runnable[] faults = {proxy::reset, proxy::cut, proxy::halfOpen};
        for (Runnable fault : faults) {
            long connects = sender.metrics().snapshot().get("linksOpened");
            for (int i = 0; i < 3_000; i++) {
                if (sender.send(to, Message.of("m" + i)).accepted()) {
                    taken++;
                }
                if (i == 1_500) {
                    fault.run();
                }
            }
            await().atMost(WAIT).until(() -> sender.metrics().snapshot().get("linksOpened") > connects
                    && sender.isConnected(to));
        }
        // Then a healthy link: what it carries arrives (each fault alone may have lost all it had on the way).
        for (int i = 0; i < 500; i++) {
            if (sender.send(to, Message.of("after " + i)).accepted()) {
                taken++;
            }
        }
        long sent = taken;
        // The TALLY behind the last re-dial, or an idle one, settles the count; nothing is lost after it.
        await().atMost(WAIT).untilAsserted(() -> assertThat(got.get()
                + receiver.metrics().snapshot().get("messagesLostInFlight")).isEqualTo(sent));
        assertThat(receiver.metrics().snapshot().get("messagesLostInFlight")).as("the faults lost something")
                .isPositive();
        assertThat(got.get()).as("and some arrived").isPositive();
    }
}

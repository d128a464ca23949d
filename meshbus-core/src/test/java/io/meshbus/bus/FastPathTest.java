package io.meshbus.bus;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** A host with deliverOnIoThread: peers run on the I/O thread that read their messages, unless they may block. */
class FastPathTest {
    private final Hosts hosts = new Hosts("tcp+io");

    @AfterEach
    void close() {
        hosts.close();
    }

    @Test
    void shouldRunPeersOnTheIoThreadAndThoseThatMayBlockOnTheExecutor() throws Exception {
        Host h1 = hosts.start();
        Host h2 = hosts.start();
        Hosts.join(h2, h1);
        Map<String, String> threads = new ConcurrentHashMap<>();
        CountDownLatch both = new CountDownLatch(2);
        Peer fast = h2.create("fast");
        fast.onMessage((from, m) -> {
            threads.put("fast", Thread.currentThread().getName());
            if (m.header("replyTo") != null) {
                fast.reply(m, "pong");
            }
            both.countDown();
        });
        Peer slow = h2.create("slow", ConsumerOptions.DEFAULT.mayBlock(true));
        slow.onMessage((from, m) -> {
            threads.put("slow", Thread.currentThread().getName());
            both.countDown();
        });
        Peer asker = h1.create("asker");
        // Messages that arrive while the link's earlier work waits on the executor follow it there: ask until one
        // ran on the I/O thread (bounded), then the peer that may block must still never run there.
        await().atMost(Hosts.WAIT).until(() -> {
            assertThat(asker.request("fast", "ping", Duration.ofSeconds(10)).get(15, TimeUnit.SECONDS).payloadText())
                    .isEqualTo("pong");
            return threads.get("fast").startsWith("meshbus-io");
        });
        asker.send("slow", "hello").get(10, TimeUnit.SECONDS);
        assertThat(both.await(10, TimeUnit.SECONDS)).isTrue();
        assertThat(threads.get("slow")).doesNotStartWith("meshbus-io");
    }
}

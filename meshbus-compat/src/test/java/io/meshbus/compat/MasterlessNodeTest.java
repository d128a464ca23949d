package io.meshbus.compat;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.meshbus.error.PeerUnreachableException;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CompletableFuture;

import java.net.URI;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** Two Java masterless nodes, no Node.js: what the node reports to its listeners. */
@Timeout(60)
class MasterlessNodeTest {
    private final List<MasterlessNode> nodes = new ArrayList<>();

    @AfterEach
    void stop() throws Exception {
        for (MasterlessNode n : nodes) {
            n.close().get(10, TimeUnit.SECONDS);
        }
    }

    private MasterlessNode node(String id, LinkedBlockingQueue<String> events) throws Exception {
        return node(MasterlessNode.create(id, "masterless+tcp://127.0.0.1:0"), events);
    }

    private MasterlessNode node(MasterlessNode n, LinkedBlockingQueue<String> events) throws Exception {
        n.addListener(new MasterlessListener() {
            @Override
            public void onConnect(String other, URI info) {
                events.add("connect " + other);
            }

            @Override
            public void onDisconnect(String other) {
                events.add("disconnect " + other);
            }
        });
        nodes.add(n);
        return n.start().get(10, TimeUnit.SECONDS);
    }

    @Test
    void shouldReportADisconnectOnce() throws Exception {
        LinkedBlockingQueue<String> aEvents = new LinkedBlockingQueue<>();
        LinkedBlockingQueue<String> bEvents = new LinkedBlockingQueue<>();
        MasterlessNode a = node("a", aEvents);
        MasterlessNode b = node("b", bEvents);

        assertThat(a.connect(b.nodeInfo()).get(10, TimeUnit.SECONDS)).isEqualTo("b");
        assertThat(aEvents.poll(10, TimeUnit.SECONDS)).isEqualTo("connect b");
        assertThat(bEvents.poll(10, TimeUnit.SECONDS)).isEqualTo("connect a");

        a.disconnect("b");
        assertThat(aEvents.poll(10, TimeUnit.SECONDS)).isEqualTo("disconnect b");
        assertThat(bEvents.poll(10, TimeUnit.SECONDS)).isEqualTo("disconnect a");
        assertThat(a.connections()).isEmpty();

        // A second report of the first link's end would come before the next link's connect: the closed link's
        // clean-up runs on a's event loop long before a new handshake's round trips complete.
        assertThat(a.connect(b.nodeInfo()).get(10, TimeUnit.SECONDS)).isEqualTo("b");
        assertThat(aEvents.poll(10, TimeUnit.SECONDS)).isEqualTo("connect b");
        assertThat(a.connections()).containsExactly("b");
    }

    /**
     * A raw node that answers the hello with its id and then says nothing: the Java node knows it, but no link comes.
     * {@code hangUp} closes the socket after the id.
     */
    private static CompletableFuture<Void> stallingNode(ServerSocket server, boolean hangUp) {
        return CompletableFuture.runAsync(() -> {
            try (Socket s = server.accept()) {
                BufferedReader r = new BufferedReader(new InputStreamReader(s.getInputStream(),
                        StandardCharsets.UTF_8));
                r.readLine();
                OutputStream o = s.getOutputStream();
                o.write("{\"id\":\"stall\"}\r\n".getBytes(StandardCharsets.UTF_8));
                o.flush();
                if (!hangUp) {
                    r.readLine(); // its priority; then it waits until the test ends
                    r.readLine();
                }
            } catch (java.io.IOException e) {
                // the node hung up first: nothing more to do
            }
        });
    }

    @Test
    void shouldBoundThePacketsQueuedForANodeNotLinkedYet() throws Exception {
        MasterlessNode a = node(MasterlessNode.create("a", "masterless+tcp://127.0.0.1:0", 1024, 2),
                new LinkedBlockingQueue<>());
        try (ServerSocket server = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            CompletableFuture<Void> stall = stallingNode(server, false);
            a.connect("masterless+tcp://127.0.0.1:" + server.getLocalPort(), false);
            await().atMost(Duration.ofSeconds(10)).until(() -> a.states().containsKey("stall"));
            for (int i = 0; i < 3; i++) {
                assertThat(a.send("stall", Map.of("n", i))).isTrue();
            }
            await().atMost(Duration.ofSeconds(10)).until(() -> a.dropped() == 1);
            assertThat(a.connections()).isEmpty();
            a.close().get(10, TimeUnit.SECONDS);
            stall.get(10, TimeUnit.SECONDS);
        }
    }

    @Test
    void shouldForgetANodeWhoseHandshakeFailed() throws Exception {
        MasterlessNode a = node("a", new LinkedBlockingQueue<>());
        try (ServerSocket server = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            CompletableFuture<Void> stall = stallingNode(server, true);
            CompletableFuture<String> dial = a.connect("masterless+tcp://127.0.0.1:" + server.getLocalPort(), false);
            assertThat(dial.handle((v, e) -> e).get(10, TimeUnit.SECONDS))
                    .isInstanceOf(PeerUnreachableException.class);
            stall.get(10, TimeUnit.SECONDS);
            assertThat(a.states()).isEmpty();
        }
    }
}

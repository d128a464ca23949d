package io.meshbus.route;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.meshbus.bus.Host;
import io.meshbus.bus.Peer;
import io.meshbus.error.NoRespondersException;
import io.meshbus.message.Headers;
import io.meshbus.message.Message;
import io.meshbus.node.Node;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.SocketTimeoutException;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/** The same router on a node and on a bus peer; UDP confirmations through a lossy path. */
class RoutingAcrossTheMeshTest {
    private static Message get(String uri) {
        return Message.of(Headers.builder().put(Headers.URI, uri).put(Headers.VERB, "GET").build(), "");
    }

    private static Router router() {
        return new Router().get("/hello/{name}", ctx -> "hello " + ctx.param("name") + " from " + ctx.from());
    }

    @Test
    void shouldServeARouterOnANode() throws Exception {
        Node server = Node.builder("route-server").listen("mem://0").build();
        Node client = Node.builder("route-client").build();
        try {
            server.start().get(10, TimeUnit.SECONDS);
            client.start().get(10, TimeUnit.SECONDS);
            Routing.serve(server, router());
            client.connect(server.info()).get(10, TimeUnit.SECONDS);
            RouteClient rc = Routing.client(client, server.id());
            Response r = rc.request(get("/hello/ada"), Duration.ofSeconds(10)).get(10, TimeUnit.SECONDS);
            assertThat(r.message().payloadText()).isEqualTo("hello ada from route-client");
            assertThat(rc.request(get("/nope"), Duration.ofSeconds(10)).get(10, TimeUnit.SECONDS).status())
                    .isEqualTo(Status.NOT_FOUND);
            RouteClient nobody = Routing.client(client, "not-linked");
            assertThatThrownBy(() -> nobody.request(get("/hello/x"), Duration.ofSeconds(30)).get(10, TimeUnit.SECONDS))
                    .hasCauseInstanceOf(NoRespondersException.class);
        } finally {
            client.close().get(10, TimeUnit.SECONDS);
            server.close().get(10, TimeUnit.SECONDS);
        }
    }

    @Test
    void shouldServeARouterOnAPeerAcrossHosts() throws Exception {
        Host h1 = Host.builder().listen("mem://0").build();
        Host h2 = Host.builder().listen("mem://0").build();
        try {
            h1.start().get(10, TimeUnit.SECONDS);
            h2.start().get(10, TimeUnit.SECONDS);
            h2.join(h1.info().toString()).get(20, TimeUnit.SECONDS);
            Routing.serve(h1.create("api"), router());
            Peer caller = h2.create("caller");
            Response r = Routing.request(caller, "api", get("/HELLO/bob"), Duration.ofSeconds(10))
                    .get(10, TimeUnit.SECONDS);
            assertThat(r.status()).isEqualTo(Status.OK);
            assertThat(r.message().payloadText()).isEqualTo("hello bob from caller");
            assertThat(Routing.request(caller, "api", get("/other"), Duration.ofSeconds(10)).get(10, TimeUnit.SECONDS)
                    .status()).isEqualTo(Status.NOT_FOUND);
        } finally {
            h2.close().get(10, TimeUnit.SECONDS);
            h1.close().get(10, TimeUnit.SECONDS);
        }
    }

    /** Drops the first two datagrams of each message id: confirmed sends still complete, handled once each. */
    @Test
    void shouldRetryConfirmedDatagramsThroughALossyPathAndHandleEachOnce() throws Exception {
        Server server = Distro.create("udp4").server(Info.port(0));
        AtomicInteger handled = new AtomicInteger();
        server.post("/count", ctx -> handled.incrementAndGet());
        server.start().get(10, TimeUnit.SECONDS);
        InetAddress lo = InetAddress.getLoopbackAddress();
        try (DatagramSocket proxy = new DatagramSocket(0, lo)) {
            proxy.setSoTimeout(200);
            InetSocketAddress target = new InetSocketAddress(lo, server.info().port());
            CompletableFuture<Void> relay = CompletableFuture.runAsync(() -> {
                InetSocketAddress clientAddr = null;
                int fromClient = 0;
                long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
                byte[] buf = new byte[65_535];
                while (System.nanoTime() < end && !Thread.currentThread().isInterrupted()) {
                    DatagramPacket p = new DatagramPacket(buf, buf.length);
                    try {
                        proxy.receive(p);
                    } catch (SocketTimeoutException e) {
                        continue;
                    } catch (java.io.IOException e) {
                        return;
                    }
                    try {
                        if (p.getPort() == target.getPort()) {
                            proxy.send(new DatagramPacket(p.getData(), p.getLength(), clientAddr));
                        } else {
                            clientAddr = (InetSocketAddress) p.getSocketAddress();
                            if (++fromClient % 3 != 0) {
                                continue;
                            }
                            proxy.send(new DatagramPacket(p.getData(), p.getLength(), target));
                        }
                    } catch (java.io.IOException e) {
                        return;
                    }
                }
            });
            Client client = Distro.create("udp4").client(new Info("127.0.0.1", proxy.getLocalPort()));
            try {
                for (int i = 0; i < 5; i++) {
                    Message m = Message.of(Headers.builder().put(Headers.URI, "/count").put(Headers.VERB, "post")
                            .build(), Map.of("i", i));
                    Message rec = client.sendConfirmed(m, Duration.ofSeconds(10)).get(15, TimeUnit.SECONDS);
                    assertThat(rec.decode(Map.class)).containsEntry("msgId", m.id().toString());
                }
                assertThat(handled.get()).isEqualTo(5);
            } finally {
                client.close().get(10, TimeUnit.SECONDS);
                proxy.close();
                relay.get(10, TimeUnit.SECONDS);
            }
        } finally {
            server.close().get(10, TimeUnit.SECONDS);
        }
    }
}

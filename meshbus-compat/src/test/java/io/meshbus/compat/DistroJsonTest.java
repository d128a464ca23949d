package io.meshbus.compat;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import io.meshbus.message.Headers;
import io.meshbus.message.Message;
import io.meshbus.route.Client;
import io.meshbus.route.Distro;
import io.meshbus.route.Info;
import io.meshbus.route.Server;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(30)
class DistroJsonTest {
    private static final String DISTRO_MESSAGE = "{\"id\":\"3cd779af-6af0-47c1-864a-876fd21b6c5b\",\"headers\":"
            + "{\"uri\":\"/orders/\",\"verb\":\"post\",\"address\":\"127.0.0.1\",\"port\":%d},"
            + "\"payload\":{\"sku\":\"a1\",\"qty\":2}}";

    @Test
    void shouldWriteExactlyDistrosThreeKeysAndReadThemBack() throws Exception {
        Message m = Message.of(Headers.of(Map.of("uri", "/orders/", "port", "47001")), Map.of("sku", "a1"));
        JsonNode j = DistroJson.MAPPER.readTree(DistroJson.encode(m));
        assertThat(j.size()).isEqualTo(3);
        assertThat(j.get("headers").get("port").isInt()).isTrue();
        assertThat(j.get("payload").get("sku").asText()).isEqualTo("a1");
        Message back = DistroJson.decode(DistroJson.encode(m));
        assertThat(back.id()).isEqualTo(m.id());
        assertThat(back.header("port")).isEqualTo("47001");
        JsonNode text = DistroJson.MAPPER.readTree(DistroJson.encode(Message.of("hi")));
        assertThat(text.get("payload").asText()).isEqualTo("hi");
        Message r = DistroJson.received(m);
        assertThat(r.header("uri")).isEqualTo("RECEIVED");
        assertThat(DistroJson.confirmedId(r)).isEqualTo(m.id().toString());
    }

    /** A client written the distro way: one TCP connection per message, no FIN, confirmation to address:port. */
    @Test
    void shouldServeADistroStyleTcpClientAndConfirmOverANewConnection() throws Exception {
        Server server = Distro.create("distro+tcp").server(new Info("127.0.0.1", 0));
        CompletableFuture<Map<String, Object>> got = new CompletableFuture<>();
        server.post("/orders/", ctx -> got.complete(asMap(ctx.body(Map.class))));
        server.start().get(10, TimeUnit.SECONDS);
        try (ServerSocket confirmations = new ServerSocket(0, 5, InetAddress.getLoopbackAddress());
             Socket s = new Socket(InetAddress.getLoopbackAddress(), server.info().port())) {
            OutputStream out = s.getOutputStream();
            byte[] msg = String.format(DISTRO_MESSAGE, confirmations.getLocalPort()).getBytes(StandardCharsets.UTF_8);
            // Split in two writes: distro's own server crashed on this, ours frames by JSON object.
            out.write(msg, 0, 40);
            out.flush();
            out.write(msg, 40, msg.length - 40);
            out.flush();
            assertThat(got.get(10, TimeUnit.SECONDS)).containsEntry("sku", "a1");
            try (Socket c = confirmations.accept()) {
                c.setSoTimeout(10_000);
                String confirmation = new String(c.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
                Message r = DistroJson.decode(confirmation.getBytes(StandardCharsets.UTF_8));
                assertThat(r.header("uri")).isEqualTo("RECEIVED");
                assertThat(DistroJson.confirmedId(r)).isEqualTo("3cd779af-6af0-47c1-864a-876fd21b6c5b");
            }
        } finally {
            server.close().get(10, TimeUnit.SECONDS);
        }
    }

    @Test
    void shouldCloseOnlyTheConnectionThatSentGarbage() throws Exception {
        DistroJsonTransport t = new DistroJsonTransport.Tcp();
        Server server = Distro.create(t, org.slf4j.LoggerFactory.getLogger("test")).server(Info.port(0));
        LinkedBlockingQueue<String> got = new LinkedBlockingQueue<>();
        server.receive(ctx -> got.add(ctx.uri()));
        server.start().get(10, TimeUnit.SECONDS);
        try (Socket bad = new Socket(InetAddress.getLoopbackAddress(), server.info().port());
             Socket good = new Socket(InetAddress.getLoopbackAddress(), server.info().port())) {
            bad.getOutputStream().write("]]garbage".getBytes(StandardCharsets.UTF_8));
            bad.setSoTimeout(10_000);
            InputStream in = bad.getInputStream();
            assertThat(in.read()).isEqualTo(-1);
            assertThat(t.garbage()).isEqualTo(1);
            good.getOutputStream().write(("{\"id\":\"3cd779af-6af0-47c1-864a-876fd21b6c5b\","
                    + "\"headers\":{\"uri\":\"/a\"},\"payload\":1}"
                    + "{\"headers\":{\"uri\":\"/b\"},\"payload\":2}").getBytes(StandardCharsets.UTF_8));
            assertThat(got.poll(10, TimeUnit.SECONDS)).isEqualTo("/a");
            assertThat(got.poll(10, TimeUnit.SECONDS)).isEqualTo("/b");
        } finally {
            server.close().get(10, TimeUnit.SECONDS);
        }
    }

    @Test
    void shouldConfirmOverUdpAndTcpBetweenJavaClientsAndServers() throws Exception {
        for (String kind : new String[] {"distro+udp4", "distro+tcp"}) {
            Server server = Distro.create(kind).server(Info.port(0));
            LinkedBlockingQueue<String> got = new LinkedBlockingQueue<>();
            server.get("/ping", ctx -> got.add(ctx.body(String.class)));
            server.start().get(10, TimeUnit.SECONDS);
            Client client = Distro.create(kind).client(server.info());
            try {
                Message m = Message.of(Headers.of("uri", "/PING"), "hello");
                Message r = client.sendConfirmed(m, Duration.ofSeconds(10)).get(10, TimeUnit.SECONDS);
                assertThat(DistroJson.confirmedId(r)).isEqualTo(m.id().toString());
                assertThat(got.poll(10, TimeUnit.SECONDS)).isEqualTo("hello");
                assertThatThrownBy(() -> client.request(m, Duration.ofSeconds(1)).join())
                        .hasCauseInstanceOf(UnsupportedOperationException.class);
            } finally {
                client.close().get(10, TimeUnit.SECONDS);
                server.close().get(10, TimeUnit.SECONDS);
            }
        }
    }

    @Test
    void shouldAnswerADistroStyleUdpDatagramToTheAddressInItsHeaders() throws Exception {
        Server server = Distro.create("distro+udp4").server(Info.port(0));
        server.start().get(10, TimeUnit.SECONDS);
        try (DatagramSocket s = new DatagramSocket(new InetSocketAddress("127.0.0.1", 0))) {
            s.setSoTimeout(10_000);
            byte[] msg = String.format(DISTRO_MESSAGE, s.getLocalPort()).getBytes(StandardCharsets.UTF_8);
            s.send(new DatagramPacket(msg, msg.length, InetAddress.getLoopbackAddress(), server.info().port()));
            DatagramPacket p = new DatagramPacket(new byte[65536], 65536);
            s.receive(p);
            Message r = DistroJson.decode(java.util.Arrays.copyOf(p.getData(), p.getLength()));
            assertThat(DistroJson.confirmedId(r)).isEqualTo("3cd779af-6af0-47c1-864a-876fd21b6c5b");
        } finally {
            server.close().get(10, TimeUnit.SECONDS);
        }
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> asMap(Map<?, ?> m) {
        return (Map<String, Object>) m;
    }
}

package io.meshbus.compat;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.meshbus.bus.Host;
import io.meshbus.bus.Peer;
import io.meshbus.bus.Ports;
import io.meshbus.error.NetworkIdMismatchException;
import io.meshbus.error.PeerNotFoundException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.WebSocket;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** Meshbus hosts (through {@link DistribusGateway}) in one network with real distribus@0.4.0 hosts. */
@Timeout(180)
class DistribusCompatTest {
    private static final Duration T = Duration.ofSeconds(20);
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final AtomicInteger REFS = new AtomicInteger();
    private final List<NodeProcess> processes = new ArrayList<>();
    private final List<Host> hosts = new ArrayList<>();
    private final List<DistribusGateway> gateways = new ArrayList<>();

    @AfterEach
    void stop() throws Exception {
        try {
            for (DistribusGateway g : gateways) {
                g.close().get(20, TimeUnit.SECONDS);
            }
            for (Host h : hosts) {
                h.close().get(20, TimeUnit.SECONDS);
            }
        } finally {
            for (NodeProcess p : processes) {
                p.close();
            }
        }
        // what a Java host sent must never have thrown inside a Node host (distribus crashes on binary frames)
        for (NodeProcess p : processes) {
            assertThat(p.stderr()).doesNotContain("TypeError", "SyntaxError", "RangeError");
        }
    }

    /** A distribus host in a Node process. */
    final class NodeHost {
        final NodeProcess p;
        final String url;

        NodeHost(String networkId, Integer reconnectTimeout) throws Exception {
            this(Ports.unused(), networkId, reconnectTimeout);
        }

        NodeHost(int port, String networkId, Integer reconnectTimeout) throws Exception {
            List<String> args = new ArrayList<>(List.of(Integer.toString(port), networkId == null ? "-" : networkId));
            if (reconnectTimeout != null) {
                args.add(reconnectTimeout.toString());
            }
            p = NodeProcess.start("distribus-host.js", args.toArray(new String[0]));
            processes.add(p);
            url = p.await("listening", T).get("url").asText();
        }

        JsonNode call(String cmd, String event, Map<String, Object> args) throws Exception {
            int ref = REFS.incrementAndGet();
            Map<String, Object> m = new java.util.HashMap<>(args);
            m.put("cmd", cmd);
            m.put("ref", ref);
            p.send(JSON.writeValueAsString(m));
            return p.await(e -> event.equals(e.path("event").asText()) && e.path("ref").asInt() == ref, T);
        }

        void create(String id) throws Exception {
            call("create", "created", Map.of("id", id));
        }

        String join(String target) throws Exception {
            JsonNode r = call("join", "joined", Map.of("url", target));
            return r.get("error").isNull() ? null : r.get("error").asText();
        }

        JsonNode send(String from, String to, Object message) throws Exception {
            Map<String, Object> a = new java.util.HashMap<>();
            a.put("from", from);
            a.put("to", to);
            a.put("message", message);
            return call("send", "sent", a);
        }

        void publish(String channel, Object message) throws Exception {
            p.send(JSON.writeValueAsString(Map.of("cmd", "publish", "channel", channel, "message", message)));
        }

        JsonNode find(String id) throws Exception {
            return call("find", "found", Map.of("id", id));
        }

        List<String> connections() throws Exception {
            List<String> out = new ArrayList<>();
            call("connections", "connections", Map.of()).get("urls").forEach(u -> out.add(u.asText()));
            return out;
        }

        JsonNode message(String to) throws InterruptedException {
            return p.await(e -> "message".equals(e.path("event").asText()) && to.equals(e.path("to").asText()), T);
        }
    }

    private DistribusGateway javaHost(String id, String networkId, Duration reconnectTimeout) throws Exception {
        Host h = Host.builder().id(id).listen("tcp://127.0.0.1:0").build();
        hosts.add(h);
        h.start().get(10, TimeUnit.SECONDS);
        DistribusGateway.Builder b = DistribusGateway.builder(h).listen("distribus+ws://127.0.0.1:0")
                .reconnect(Duration.ofMillis(100), 2, reconnectTimeout);
        if (networkId != null) {
            b.networkId(networkId);
        }
        DistribusGateway g = b.build();
        gateways.add(g);
        return g.start().get(10, TimeUnit.SECONDS);
    }

    /** A Java peer that records what it gets and answers {"echo": x} with {"echoed": x}. */
    private static Peer echoPeer(Host h, String id, LinkedBlockingQueue<String> inbox) {
        Peer p = h.create(id);
        p.onMessage((from, m) -> {
            String text = m.payloadText();
            inbox.add(from + ":" + text);
            if (text.contains("\"echo\"")) {
                try {
                    p.send(from, Map.of("echoed", JSON.readTree(text).get("echo").asText()));
                } catch (java.io.IOException e) {
                    throw new AssertionError(e);
                }
            }
        });
        return p;
    }

    @Test
    void shouldEchoEveryPayloadKindBackAsNodeWouldIncludingTheEmptyStringAndABuffer() throws Exception {
        DistribusGateway g = javaHost("jmirror-host", null, Duration.ofMillis(1500));
        NodeHost n = new NodeHost(null, 1500);
        assertThat(n.join(g.url())).isNull();
        LinkedBlockingQueue<io.meshbus.message.Message> got = new LinkedBlockingQueue<>();
        Peer mirror = g.host().create("mirror");
        mirror.onMessage((from, m) -> {
            got.add(m);
            mirror.sendAndForget(from, m);
        });
        n.create("asker");
        List<Object> kinds = new ArrayList<>();
        kinds.add(Map.of("a", 1, "b", List.of(true, "x")));
        kinds.add(List.of(1, "two", 3.5));
        kinds.add(42);
        kinds.add(-0.25);
        kinds.add("text");
        kinds.add("");
        kinds.add(true);
        kinds.add(false);
        kinds.add(null);
        for (Object k : kinds) {
            assertThat(n.send("asker", "mirror", k).has("error")).as("send of %s", k).isFalse();
            assertThat(n.message("asker").get("message")).as("echo of %s", k).isEqualTo(JSON.valueToTree(k));
            got.poll(20, TimeUnit.SECONDS);
        }
        // A Buffer: a Java peer gets the bytes, and its echo reaches Node as Node's JSON of that Buffer.
        JsonNode sent = n.call("sendBuffer", "sent", Map.of("from", "asker", "to", "mirror", "bytes",
                List.of(0, 1, 2, 255)));
        assertThat(sent.has("error")).isFalse();
        io.meshbus.message.Message bytes = got.poll(20, TimeUnit.SECONDS);
        assertThat(bytes).isNotNull();
        assertThat(bytes.contentType()).isEqualTo(io.meshbus.codec.ContentType.BYTES);
        assertThat(bytes.payloadBytes()).containsExactly(0, 1, 2, 255);
        assertThat(n.message("asker").get("message")).isEqualTo(JSON.readTree(
                "{\"type\":\"Buffer\",\"data\":[0,1,2,255]}"));
    }

    @Test
    void shouldRunAMixedNetworkOfTwoNodeAndTwoJavaHosts() throws Exception {
        DistribusGateway g1 = javaHost("j1", null, Duration.ofMillis(1500));
        DistribusGateway g2 = javaHost("j2", null, Duration.ofMillis(1500));
        NodeHost n1 = new NodeHost(null, 1500);
        NodeHost n2 = new NodeHost(null, 1500);

        // a Node host joins a Java host, a Node host joins it, a Java host joins the Node one: one full mesh
        assertThat(n1.join(g1.url())).isNull();
        assertThat(n2.join(n1.url)).isNull();
        g2.join("distribus+" + n2.url).get(20, TimeUnit.SECONDS);
        await().atMost(T).untilAsserted(() -> {
            assertThat(g1.connections()).containsExactlyInAnyOrder(n1.url, n2.url, g2.url());
            assertThat(g2.connections()).containsExactlyInAnyOrder(n1.url, n2.url, g1.url());
            assertThat(n1.connections()).containsExactlyInAnyOrder(g1.url(), n2.url, g2.url());
            assertThat(n2.connections()).containsExactlyInAnyOrder(g1.url(), n1.url, g2.url());
        });

        LinkedBlockingQueue<String> j1in = new LinkedBlockingQueue<>();
        LinkedBlockingQueue<String> j2in = new LinkedBlockingQueue<>();
        Peer j1 = echoPeer(g1.host(), "j1peer", j1in);
        echoPeer(g2.host(), "j2peer", j2in);
        n1.create("n1peer");
        n2.create("n2peer");

        // Node -> Java by id, and the Java peer's answer back to the Node peer
        assertThat(n1.send("n1peer", "j1peer", Map.of("echo", "a")).get("result").isNull()).isTrue();
        assertThat(j1in.poll(20, TimeUnit.SECONDS)).isEqualTo("n1peer:{\"echo\":\"a\"}");
        assertThat(n1.message("n1peer").get("message").get("echoed").asText()).isEqualTo("a");
        assertThat(n2.send("n2peer", "j2peer", "plain text").get("result").isNull()).isTrue();
        assertThat(j2in.poll(20, TimeUnit.SECONDS)).isEqualTo("n2peer:plain text");

        // Java -> Node by id, nothing imported first: the host's lookup asks the gateway, which finds n2peer on the
        // distribus side (the Node peer answers, its host finds j1peer at g1)
        j1.send("n2peer", Map.of("echo", "b")).get(20, TimeUnit.SECONDS);
        JsonNode got = n2.message("n2peer");
        assertThat(got.get("from").asText()).isEqualTo("j1peer");
        assertThat(j1in.poll(20, TimeUnit.SECONDS)).isEqualTo("n2peer:{\"echoed\":\"b\"}");
        // Java -> Java across the distribus mesh
        j1.send("j2peer", "over distribus").get(20, TimeUnit.SECONDS);
        assertThat(j2in.poll(20, TimeUnit.SECONDS)).isEqualTo("j1peer:over distribus");

        // find both ways, and distribus's error text for a missing peer
        assertThat(n1.find("j2peer").get("url").asText()).isEqualTo(g2.url());
        assertThat(g1.find("n1peer").get(20, TimeUnit.SECONDS)).isEqualTo(n1.url);
        assertThat(n2.find("nobody").get("error").asText()).isEqualTo("Peer not found (id: nobody)");
        assertThat(g2.find("nobody").handle((v, e) -> e).get(20, TimeUnit.SECONDS))
                .isInstanceOf(PeerNotFoundException.class).hasMessage("Peer not found (id: nobody)");

        // publishes cross both ways, once each
        n1.call("subscribe", "subscribed", Map.of("channel", "news"));
        n2.call("subscribe", "subscribed", Map.of("channel", "news"));
        LinkedBlockingQueue<String> j2news = new LinkedBlockingQueue<>();
        g2.host().subscribe("news", (from, m) -> j2news.add(m.payloadText())).get(10, TimeUnit.SECONDS);
        g1.host().publish("news", Map.of("n", 1));
        for (NodeHost n : List.of(n1, n2)) {
            assertThat(n.p.await("published", T).get("message").get("n").asInt()).isEqualTo(1);
        }
        assertThat(j2news.poll(20, TimeUnit.SECONDS)).isEqualTo("{\"n\":1}");
        n1.publish("news", Map.of("n", 2));
        assertThat(j2news.poll(20, TimeUnit.SECONDS)).isEqualTo("{\"n\":2}");
        n1.publish("news", Map.of("n", 3));
        assertThat(j2news.poll(20, TimeUnit.SECONDS)).isEqualTo("{\"n\":3}");
        assertThat(n2.p.await("published", T).get("message").get("n").asInt()).isEqualTo(2);
        assertThat(j2news).isEmpty();

        // a Node host leaves: goodbye, and the Java side forgets its peers at once
        n2.call("close", "closed", Map.of());
        await().atMost(T).untilAsserted(() -> {
            assertThat(g1.host().get("n2peer")).isNull();
            assertThat(g1.connections()).doesNotContain(n2.url);
            assertThat(g2.connections()).doesNotContain(n2.url);
        });
        assertThat(g1.find("n2peer").handle((v, e) -> e).get(20, TimeUnit.SECONDS))
                .isInstanceOf(PeerNotFoundException.class);

        // a Node host crashes: the rest carries on; its peers are forgotten after the reconnect timeout
        g2.importPeer("n1peer").get(20, TimeUnit.SECONDS);
        n1.p.kill();
        await().atMost(T).untilAsserted(() -> {
            assertThat(g1.connections()).containsExactly(g2.url());
            assertThat(g2.host().get("n1peer")).isNull();
        });
        j1.send("j2peer", "still here").get(20, TimeUnit.SECONDS);
        assertThat(j2in.poll(20, TimeUnit.SECONDS)).isEqualTo("j1peer:still here");

        // a Java host leaves: goodbye reaches the other
        g2.close().get(20, TimeUnit.SECONDS);
        await().atMost(T).untilAsserted(() -> {
            assertThat(g1.connections()).isEmpty();
            assertThat(g1.host().get("j2peer")).isNull();
        });
    }

    /** The gateway re-dials a Node host it had joined when that host comes back on its url, and talks again. */
    @Test
    void shouldReconnectToANodeHostThatComesBack() throws Exception {
        DistribusGateway g = javaHost("jre", null, Duration.ofSeconds(30));
        int port = Ports.unused();
        NodeHost first = new NodeHost(port, null, null);
        g.join(first.url).get(20, TimeUnit.SECONDS);
        assertThat(g.connections()).containsExactly(first.url);
        first.p.kill();
        await().atMost(T).until(() -> g.connections().isEmpty());
        NodeHost again = new NodeHost(port, null, null);
        assertThat(again.url).isEqualTo(first.url);
        await().atMost(T).untilAsserted(() -> assertThat(g.connections()).containsExactly(again.url));
        again.create("back");
        LinkedBlockingQueue<String> in = new LinkedBlockingQueue<>();
        echoPeer(g.host(), "jpeer", in);
        assertThat(again.send("back", "jpeer", "hello again").get("result").isNull()).isTrue();
        assertThat(in.poll(20, TimeUnit.SECONDS)).isEqualTo("back:hello again");
    }

    @Test
    void shouldHonourTheNetworkIdWithDistribusErrorText() throws Exception {
        NodeHost foo = new NodeHost("foo", null);
        DistribusGateway bar = javaHost("jbar", "bar", Duration.ofSeconds(5));
        assertThat(bar.join(foo.url).handle((v, e) -> e).get(20, TimeUnit.SECONDS))
                .isInstanceOf(NetworkIdMismatchException.class).hasMessage("Network id mismatch (bar !== foo)");
        assertThat(foo.join(bar.url())).isEqualTo("Network id mismatch (foo !== bar)");

        DistribusGateway unset = javaHost("junset", null, Duration.ofSeconds(5));
        unset.join(foo.url).get(20, TimeUnit.SECONDS);
        assertThat(unset.networkId()).isEqualTo("foo");
        NodeHost other = new NodeHost("foo", null);
        assertThat(other.join(unset.url())).isNull();
        await().atMost(T).untilAsserted(() -> assertThat(foo.connections()).contains(other.url, unset.url()));
    }

    @Test
    void shouldAnswerRawRequestsAndCloseOnBinaryGarbageAndHugeFrames() throws Exception {
        DistribusGateway g = DistribusGateway.builder(startedHost("jraw")).maxFrame(64 * 1024).build();
        gateways.add(g);
        g.start().get(10, TimeUnit.SECONDS);
        Ws ok = Ws.open(g.url());
        ok.ws.sendText("{\"id\":1,\"message\":{\"method\":\"ping\",\"params\":{\"a\":1}}}", true);
        assertThat(ok.texts.poll(10, TimeUnit.SECONDS))
                .isEqualTo("{\"id\":1,\"message\":{\"result\":{\"a\":1},\"error\":null},\"error\":null}");
        ok.ws.sendText("{\"id\":\"x\",\"message\":{\"method\":\"frobnicate\"}}", true);
        assertThat(ok.texts.poll(10, TimeUnit.SECONDS))
                .isEqualTo("{\"id\":\"x\",\"message\":null,\"error\":\"Unknown method \\\"frobnicate\\\"\"}");
        ok.ws.sendText("{\"id\":2,\"message\":{\"method\":\"send\",\"params\":{\"from\":\"a\",\"to\":\"b\","
                + "\"message\":1}}}", true);
        assertThat(ok.texts.poll(10, TimeUnit.SECONDS))
                .isEqualTo("{\"id\":2,\"message\":null,\"error\":\"Error: Peer not found (id: b)\"}");
        ok.ws.sendText("{\"id\":3,\"message\":{\"method\":\"join\",\"params\":{}}}", true);
        assertThat(ok.texts.poll(10, TimeUnit.SECONDS)).isEqualTo("{\"id\":3,\"error\":null}");

        Ws binary = Ws.open(g.url());
        binary.ws.sendBinary(ByteBuffer.wrap(new byte[] {1, 2, 3}), true);
        assertThat(binary.closed.get(10, TimeUnit.SECONDS)).isEqualTo(1003);
        Ws garbage = Ws.open(g.url());
        garbage.ws.sendText("]]] not json", true);
        assertThat(garbage.closed.get(10, TimeUnit.SECONDS)).isEqualTo(1007);
        Ws huge = Ws.open(g.url());
        huge.ws.sendText("{\"x\":\"" + "y".repeat(100_000) + "\"}", true);
        assertThat(huge.closed.get(10, TimeUnit.SECONDS)).isEqualTo(1009);
        assertThat(g.protocolErrors()).isEqualTo(3);

        ok.ws.sendText("{\"id\":4,\"message\":{\"method\":\"ping\"}}", true);
        assertThat(ok.texts.poll(10, TimeUnit.SECONDS)).isEqualTo("{\"id\":4,\"message\":{\"error\":null},"
                + "\"error\":null}");
        ok.ws.abort();

        // any scheme but distribus+ws is the native protocol
        Host other = startedHost("jnative");
        g.joinAny(other.info().toString()).get(20, TimeUnit.SECONDS);
        assertThat(g.host().members()).containsExactly("jnative");
        assertThat(g.connections()).isEmpty();
    }

    private Host startedHost(String id) throws Exception {
        Host h = Host.builder().id(id).listen("tcp://127.0.0.1:0").build();
        hosts.add(h);
        return h.start().get(10, TimeUnit.SECONDS);
    }

    /** A plain JDK WebSocket client, for frames distribus itself never sends. */
    static final class Ws implements WebSocket.Listener {
        final LinkedBlockingQueue<String> texts = new LinkedBlockingQueue<>();
        final CompletableFuture<Integer> closed = new CompletableFuture<>();
        private final StringBuilder part = new StringBuilder();
        WebSocket ws;

        static Ws open(String url) throws Exception {
            Ws l = new Ws();
            l.ws = HttpClient.newHttpClient().newWebSocketBuilder().buildAsync(URI.create(url + "/"), l)
                    .get(10, TimeUnit.SECONDS);
            return l;
        }

        @Override
        public CompletionStage<?> onText(WebSocket webSocket, CharSequence data, boolean last) {
            part.append(data);
            if (last) {
                texts.add(part.toString());
                part.setLength(0);
            }
            webSocket.request(1);
            return null;
        }

        @Override
        public CompletionStage<?> onClose(WebSocket webSocket, int statusCode, String reason) {
            closed.complete(statusCode);
            return null;
        }

        @Override
        public void onError(WebSocket webSocket, Throwable error) {
            closed.complete(-1);
        }
    }
}

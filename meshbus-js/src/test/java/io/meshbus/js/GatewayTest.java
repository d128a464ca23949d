package io.meshbus.js;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.meshbus.message.Message;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.WebSocket;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The gateway's side of the protocol with a plain Java WebSocket client: no Node.js or browser needed. */
@Timeout(60)
class GatewayTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    /** A raw protocol client: text frames as JSON, and a close as {"t":"closed","code":...}. */
    static final class Raw implements WebSocket.Listener {
        final BlockingQueue<JsonNode> frames = new LinkedBlockingQueue<>();
        final AtomicBoolean reading = new AtomicBoolean(true);
        private final StringBuilder text = new StringBuilder();
        WebSocket ws;

        static Raw open(BrowserGateway g, String origin) {
            Raw r = new Raw();
            WebSocket.Builder b = HttpClient.newHttpClient().newWebSocketBuilder();
            if (origin != null) {
                b.header("Origin", origin);
            }
            r.ws = b.buildAsync(g.url(), r).orTimeout(10, TimeUnit.SECONDS).join();
            return r;
        }

        Raw send(String json) {
            ws.sendText(json, true).orTimeout(10, TimeUnit.SECONDS).join();
            return this;
        }

        JsonNode next() throws InterruptedException {
            JsonNode n = frames.poll(20, TimeUnit.SECONDS);
            assertThat(n).as("a frame within 20 s").isNotNull();
            return n;
        }

        JsonNode hello(String id) throws InterruptedException {
            send("{\"t\":\"hello\",\"v\":1,\"id\":\"" + id + "\",\"token\":\"" + JsTestNet.TOKEN + "\"}");
            JsonNode w = next();
            assertThat(w.path("t").asText()).as("%s", w).isEqualTo("welcome");
            return w;
        }

        @Override
        public void onOpen(WebSocket webSocket) {
            webSocket.request(1);
        }

        @Override
        public CompletionStage<?> onText(WebSocket webSocket, CharSequence data, boolean last) {
            text.append(data);
            if (last) {
                try {
                    frames.add(JSON.readTree(text.toString()));
                } catch (java.io.IOException e) {
                    throw new java.io.UncheckedIOException(e);
                }
                text.setLength(0);
            }
            if (reading.get()) {
                webSocket.request(1);
            }
            return null;
        }

        @Override
        public CompletionStage<?> onBinary(WebSocket webSocket, ByteBuffer data, boolean last) {
            if (reading.get()) {
                webSocket.request(1);
            }
            return null;
        }

        @Override
        public CompletionStage<?> onClose(WebSocket webSocket, int statusCode, String reason) {
            frames.add(JSON.createObjectNode().put("t", "closed").put("code", statusCode));
            return null;
        }
    }

    private static void assertRefused(Raw r, String code, int closeCode) throws InterruptedException {
        JsonNode e = r.next();
        assertThat(e.path("t").asText()).as("%s", e).isEqualTo("error");
        assertThat(e.path("code").asText()).as("%s", e).isEqualTo(code);
        JsonNode c = r.next();
        assertThat(c.path("t").asText()).isEqualTo("closed");
        assertThat(c.path("code").asInt()).isEqualTo(closeCode);
    }

    @Test
    void shouldServeTheClientScript() throws Exception {
        try (JsTestNet net = new JsTestNet()) {
            HttpClient http = HttpClient.newHttpClient();
            HttpResponse<String> r = http.send(HttpRequest.newBuilder(net.gateway().scriptUrl()).build(),
                    HttpResponse.BodyHandlers.ofString());
            assertThat(r.statusCode()).isEqualTo(200);
            assertThat(r.headers().firstValue("content-type")).hasValue("text/javascript; charset=utf-8");
            assertThat(r.body()).isEqualTo(BrowserGateway.clientScript()).contains("export function connect(");
            HttpResponse<String> missing = http.send(HttpRequest.newBuilder(URI.create(net.http() + "/nope")).build(),
                    HttpResponse.BodyHandlers.ofString());
            assertThat(missing.statusCode()).isEqualTo(404);
        }
    }

    @Test
    void shouldCarryMessagesRequestsAndPublishesBothWays() throws Exception {
        try (JsTestNet net = new JsTestNet()) {
            Raw r = Raw.open(net.gateway(), null);
            JsonNode w = r.hello("raw-1");
            assertThat(w.path("host").asText()).isEqualTo(net.h1.id());

            r.send("{\"t\":\"send\",\"n\":1,\"to\":\"driver\",\"p\":{\"a\":1}}");
            assertThat(r.next().toString()).isEqualTo("{\"t\":\"ok\",\"n\":1}");
            assertThat(net.nextReceived().getValue().decode(java.util.Map.class)).isEqualTo(java.util.Map.of("a", 1));

            net.driver.send("raw-1", "hello raw").orTimeout(20, TimeUnit.SECONDS).join();
            JsonNode m = r.next();
            assertThat(m.toString())
                    .isEqualTo("{\"t\":\"msg\",\"from\":\"driver\",\"ct\":\"text\",\"p\":\"hello raw\"}");

            CompletableFuture<Message> answer = net.driver.request("raw-1", java.util.Map.of("q", 1),
                    Duration.ofSeconds(10));
            JsonNode q = r.next();
            assertThat(q.path("r").isNumber()).as("%s", q).isTrue();
            r.send("{\"t\":\"reply\",\"r\":" + q.path("r").asLong() + ",\"p\":[42]}");
            assertThat(answer.orTimeout(20, TimeUnit.SECONDS).join().payloadText()).isEqualTo("[42]");

            r.send("{\"t\":\"sub\",\"n\":2,\"subject\":\"alerts.>\"}");
            assertThat(r.next().toString()).isEqualTo("{\"t\":\"ok\",\"n\":2}");
            net.h2.publish("alerts.fire.now", java.util.Map.of("hot", true));
            JsonNode p = r.next();
            assertThat(p.toString()).isEqualTo("{\"t\":\"pub\",\"sub\":\"alerts.>\",\"subject\":\"alerts.fire.now\","
                    + "\"from\":\"" + net.h2.id() + "\",\"p\":{\"hot\":true}}");

            r.send("{\"t\":\"req\",\"n\":3,\"to\":\"nobody\",\"p\":1}");
            JsonNode err = r.next();
            assertThat(err.path("t").asText()).isEqualTo("err");
            assertThat(err.path("code").asText()).isEqualTo("PEER_NOT_FOUND");
        }
    }

    @Test
    void shouldRefuseAForeignOriginButAcceptAnAllowedOne() throws Exception {
        try (JsTestNet net = new JsTestNet(b -> b.allowedOrigins("http://app.example"))) {
            assertRefused(Raw.open(net.gateway(), "http://evil.example"), "NOT_AUTHORIZED", 1008);
            Raw.open(net.gateway(), "http://app.example").hello("friend");
            Raw.open(net.gateway(), net.http()).hello("same-origin");
            assertThat(net.gateway().metrics()).containsEntry("originRejected", 1L).containsEntry("accepted", 2L);
        }
    }

    @Test
    void shouldCloseConnectionsThatNeverUpgradeAtTheHelloTimeout() throws Exception {
        try (JsTestNet net = new JsTestNet(b -> b.helloTimeout(Duration.ofSeconds(1)))) {
            int port = net.gateway().address().getPort();
            try (java.net.Socket silent = new java.net.Socket("127.0.0.1", port);
                 java.net.Socket half = new java.net.Socket("127.0.0.1", port)) {
                half.getOutputStream().write("GET /meshbus HTTP/1.1\r\nHost: x\r\n"
                        .getBytes(java.nio.charset.StandardCharsets.US_ASCII));
                silent.setSoTimeout(10_000);
                half.setSoTimeout(10_000);
                assertThat(silent.getInputStream().read()).isEqualTo(-1);
                assertThat(half.getInputStream().read()).isEqualTo(-1);
            }
            assertThat(net.gateway().metrics().get("upgradeTimeouts")).isGreaterThanOrEqualTo(2L);
            Raw.open(net.gateway(), null).hello("after-the-silent-ones");
        }
    }

    @Test
    void shouldEndFloodsAndMalformedFramesWithATypedErrorAndCarryOn() throws Exception {
        try (JsTestNet net = new JsTestNet(b -> b.maxMessagesPerSecond(5))) {
            Raw flood = Raw.open(net.gateway(), null);
            flood.hello("flood");
            for (int i = 0; i < 10; i++) {
                // One send at a time: java.net.http.WebSocket refuses a send while the previous one is pending. Those
                // after the gateway ended the flood may fail: the socket is closing.
                flood.ws.sendText("{\"t\":\"pub\",\"subject\":\"x.y\",\"p\":" + i + "}", true)
                        .orTimeout(10, TimeUnit.SECONDS).exceptionally(e -> null).join();
            }
            assertRefused(flood, "BACK_PRESSURE", 1013);

            Raw bad = Raw.open(net.gateway(), null);
            bad.hello("bad");
            bad.send("this is not json");
            assertRefused(bad, "PROTOCOL_VIOLATION", 1008);

            Raw early = Raw.open(net.gateway(), null);
            early.send("{\"t\":\"pub\",\"subject\":\"x\",\"p\":1}");
            assertRefused(early, "PROTOCOL_VIOLATION", 1008);

            assertThat(net.gateway().metrics()).containsEntry("rateLimited", 1L).containsEntry("protocolErrors", 2L);
            Raw.open(net.gateway(), null).hello("still-fine");
            await().atMost(Duration.ofSeconds(20))
                    .until(() -> net.h1.get("flood") == null && net.h1.get("bad") == null);
        }
    }

    @Test
    void shouldLetOnlyTheSameClientTakeOverItsIdAndNeverAJavaPeers() throws Exception {
        try (JsTestNet net = new JsTestNet()) {
            Raw first = Raw.open(net.gateway(), null);
            String resume = first.hello("roamer").path("resume").asText();
            assertThat(resume).hasSizeGreaterThan(16);
            // Another client claiming the connected id is refused; the connected one keeps it.
            Raw stranger = Raw.open(net.gateway(), null);
            stranger.send("{\"t\":\"hello\",\"v\":1,\"id\":\"roamer\",\"token\":\"" + JsTestNet.TOKEN
                    + "\",\"resume\":\"not-the-token\"}");
            assertRefused(stranger, "PEER_ID_TAKEN", 1008);
            net.driver.send("roamer", "still the first").orTimeout(20, TimeUnit.SECONDS).join();
            assertThat(first.next().path("p").asText()).isEqualTo("still the first");
            // The same client's reconnect shows its resume token and takes the id over.
            Raw second = Raw.open(net.gateway(), null);
            second.send("{\"t\":\"hello\",\"v\":1,\"id\":\"roamer\",\"token\":\"" + JsTestNet.TOKEN
                    + "\",\"resume\":\"" + resume + "\"}");
            assertThat(second.next().path("t").asText()).isEqualTo("welcome");
            assertRefused(first, "CLOSED", 1000);
            net.driver.send("roamer", "to the new one").orTimeout(20, TimeUnit.SECONDS).join();
            assertThat(second.next().path("p").asText()).isEqualTo("to the new one");

            net.h1.create("java-peer");
            Raw impostor = Raw.open(net.gateway(), null);
            impostor.send("{\"t\":\"hello\",\"v\":1,\"id\":\"java-peer\",\"token\":\"" + JsTestNet.TOKEN + "\"}");
            assertRefused(impostor, "NOT_AUTHORIZED", 1008);
        }
    }

    @Test
    void shouldCloseASlowConsumerRatherThanBufferWithoutBound() throws Exception {
        try (JsTestNet net = new JsTestNet(b -> b.outboundQueue(8))) {
            Raw slow = Raw.open(net.gateway(), null);
            slow.hello("slow");
            slow.reading.set(false);
            byte[] big = new byte[256 * 1024];
            // Enough to fill the socket buffers both sides: then frames wait in the gateway's queue.
            for (int i = 0; i < 200 && net.gateway().metrics().get("slowConsumers") == 0; i++) {
                net.driver.sendAndForget("slow", big);
            }
            await().atMost(Duration.ofSeconds(20)).until(() -> net.gateway().metrics().get("slowConsumers") == 1L);
            await().atMost(Duration.ofSeconds(20)).until(() -> net.h1.get("slow") == null);
        }
    }

    @Test
    void shouldRunTheAuthenticatorAndHostCallsOffTheIoThreads() throws Exception {
        BlockingQueue<String> threads = new LinkedBlockingQueue<>();
        try (JsTestNet net = new JsTestNet(b -> b.authenticator(c -> {
            threads.add(Thread.currentThread().getName());
            return JsTestNet.TOKEN.equals(c.token());
        }))) {
            Raw r = Raw.open(net.gateway(), null);
            r.hello("checked");
            assertThat(threads.poll(20, TimeUnit.SECONDS)).isNotNull().doesNotStartWith("meshbus-io");
            net.h1.create("local").onMessage((from, m) -> threads.add(Thread.currentThread().getName()));
            r.send("{\"t\":\"send\",\"n\":1,\"to\":\"local\",\"p\":1}");
            assertThat(r.next().path("t").asText()).isEqualTo("ok");
            assertThat(threads.poll(20, TimeUnit.SECONDS)).isNotNull().doesNotStartWith("meshbus-io");
        }
    }
}

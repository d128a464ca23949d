package io.meshbus.js;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpServer;
import io.meshbus.bus.Host;
import io.meshbus.bus.Peer;
import io.meshbus.codec.ContentType;
import io.meshbus.message.Headers;
import io.meshbus.message.Message;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Consumer;

/**
 * Two hosts joined in one mesh on 127.0.0.1: a gateway on h1 for browsers, and the Java peer "driver" on h2 that
 * obeys the {@code {cmd: ...}} requests of scenarios.mjs. Closed after each test.
 */
final class JsTestNet implements AutoCloseable {
    static final String TOKEN = "let-me-in";
    static final Duration WAIT = Duration.ofSeconds(20);
    private static final ObjectMapper JSON = new ObjectMapper();

    final Host h1;
    final Host h2;
    final Peer driver;
    final AtomicReference<BrowserGateway> gateway = new AtomicReference<>();
    /** What the driver was sent (not requests): from and message. */
    final BlockingQueue<Map.Entry<String, Message>> received = new LinkedBlockingQueue<>();
    private final CompletableFuture<String> firstWeb = new CompletableFuture<>();
    private final List<CompletableFuture<?>> cuts = new ArrayList<>();
    private final Consumer<BrowserGateway.Builder> settings;
    private HttpServer metricsServer;

    JsTestNet(Consumer<BrowserGateway.Builder> settings) {
        this.settings = settings;
        h1 = start("h1");
        h2 = start("h2");
        h2.join(h1.info().toString()).orTimeout(20, TimeUnit.SECONDS).join();
        driver = h2.create("driver");
        driver.onMessage(this::onDriver);
        h2.subscribe("web.>", (from, m) -> firstWeb.complete(m.payloadText())).orTimeout(20, TimeUnit.SECONDS).join();
        gateway.set(newGateway(0).start().orTimeout(20, TimeUnit.SECONDS).join());
    }

    JsTestNet() {
        this(b -> { });
    }

    private static Host start(String prefix) {
        Host h = Host.builder().id(prefix + "-" + UUID.randomUUID().toString().substring(0, 8))
                .listen("tcp://127.0.0.1:0").reconnectDelay(Duration.ofMillis(50))
                .node(n -> n.heartbeatInterval(Duration.ofMillis(200)).idleTimeout(Duration.ofSeconds(2)))
                .build();
        h.start().orTimeout(10, TimeUnit.SECONDS).join();
        return h;
    }

    private BrowserGateway newGateway(int port) {
        BrowserGateway.Builder b = BrowserGateway.builder(h1).bind("127.0.0.1", port)
                .authenticator(c -> TOKEN.equals(c.token()))
                .resource("/index.html", "text/html; charset=utf-8", fixture("index.html"))
                .resource("/scenarios.mjs", "text/javascript; charset=utf-8", fixture("scenarios.mjs"));
        settings.accept(b);
        return b.build();
    }

    private static byte[] fixture(String name) {
        try {
            return Files.readAllBytes(JsTools.FIXTURE.resolve(name));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    BrowserGateway gateway() {
        return gateway.get();
    }

    String http() {
        return "http://127.0.0.1:" + gateway().address().getPort();
    }

    /** Serves the current gateway's counters as JSON, for scripts that must not move them by asking. */
    String metricsUrl() throws IOException {
        if (metricsServer == null) {
            metricsServer = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
            metricsServer.createContext("/metrics", ex -> {
                byte[] body = JSON.writeValueAsBytes(gateway().metrics());
                ex.getResponseHeaders().set("Content-Type", "application/json");
                ex.sendResponseHeaders(200, body.length);
                try (OutputStream o = ex.getResponseBody()) {
                    o.write(body);
                }
            });
            metricsServer.start();
        }
        return "http://127.0.0.1:" + metricsServer.getAddress().getPort() + "/metrics";
    }

    Map<String, String> env() {
        return Map.of("MESHBUS_URL", gateway().url().toString(), "MESHBUS_HTTP", http(), "MESHBUS_TOKEN", TOKEN,
                "MESHBUS_CLIENT", BrowserGateway.class.getResource("meshbus.js").toString());
    }

    private void onDriver(String from, Message m) {
        boolean request = m.header(Headers.REPLY_TO) != null;
        if (!request) {
            received.add(Map.entry(from, m));
            return;
        }
        if (!m.contentType().equals(ContentType.JSON)) {
            // Text and bytes: "ping" gets "pong", anything else comes back as it is.
            Object answer = "ping".equals(m.payloadText()) ? "pong"
                    : Message.ofBytes(Headers.EMPTY, m.contentType(), m.payloadBytes());
            driver.reply(m, answer);
            return;
        }
        JsonNode cmd;
        try {
            cmd = JSON.readTree(m.payloadBytes());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        JsonNode value = cmd.get("value");
        switch (cmd.path("cmd").asText()) {
            case "echo" -> driver.reply(m, json(value));
            case "sendBack" -> driver.send(cmd.get("to").asText(), json(value))
                    .whenComplete((v, e) -> driver.reply(m, e == null ? "sent" : e.toString()));
            case "requestBack" -> driver.request(cmd.get("to").asText(), json(value), Duration.ofSeconds(5))
                    .whenComplete((r, e) -> driver.reply(m, e == null
                            ? Message.ofBytes(Headers.EMPTY, r.contentType(), r.payloadBytes()) : e.toString()));
            case "binary" -> driver.send(cmd.get("to").asText(), new byte[] {1, 2, 3, (byte) 255})
                    .whenComplete((v, e) -> driver.reply(m, e == null ? "sent" : e.toString()));
            case "publish" -> {
                driver.publish(cmd.get("subject").asText(), json(value));
                driver.reply(m, "published");
            }
            // The publish and this request race on h2 (different listeners): answer once the publish is in.
            case "lastWeb" -> firstWeb.orTimeout(10, TimeUnit.SECONDS).whenComplete((t, e) -> driver.reply(m,
                    e != null ? "no publish" : Message.ofBytes(Headers.EMPTY, ContentType.JSON,
                            t.getBytes(StandardCharsets.UTF_8))));
            case "cut" -> {
                driver.reply(m, "cutting");
                synchronized (cuts) {
                    cuts.add(CompletableFuture.runAsync(this::restartGateway));
                }
            }
            case "silent" -> { }
            default -> driver.reply(m, "unknown command");
        }
    }

    private static Message json(JsonNode value) {
        try {
            return Message.ofBytes(Headers.EMPTY, ContentType.JSON, JSON.writeValueAsBytes(value));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Cuts every browser link: the gateway closes, and a new one listens on the same port. */
    void restartGateway() {
        BrowserGateway old = gateway();
        int port = old.address().getPort();
        old.close().orTimeout(20, TimeUnit.SECONDS).join();
        gateway.set(newGateway(port).start().orTimeout(20, TimeUnit.SECONDS).join());
    }

    Map.Entry<String, Message> nextReceived() throws InterruptedException {
        Map.Entry<String, Message> e = received.poll(WAIT.toMillis(), TimeUnit.MILLISECONDS);
        if (e == null) {
            throw new AssertionError("the driver got nothing within " + WAIT);
        }
        return e;
    }

    @Override
    public void close() {
        synchronized (cuts) {
            cuts.forEach(c -> c.orTimeout(30, TimeUnit.SECONDS).exceptionally(e -> null).join());
        }
        if (metricsServer != null) {
            metricsServer.stop(0);
        }
        BrowserGateway g = gateway();
        if (g != null) {
            g.close().orTimeout(20, TimeUnit.SECONDS).exceptionally(e -> null).join();
        }
        for (Host h : List.of(h2, h1)) {
            h.close().orTimeout(15, TimeUnit.SECONDS).exceptionally(e -> null).join();
        }
    }
}

package io.meshbus.cli;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import io.meshbus.bus.Host;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * A host's status over HTTP: {@code /} a live dashboard (plain HTML and a script that polls), {@code /status} the same
 * figures as JSON, {@code /metrics} in Prometheus format (Micrometer), {@code /health} for probes. Binds the loopback
 * address unless told otherwise: it is an operator's window, not a public API.
 */
final class StatusServer implements AutoCloseable {
    private final Host host;
    private final HttpServer http;
    private final PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    private final ScheduledExecutorService sampler = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "meshbus-status");
        t.setDaemon(true);
        return t;
    });
    private volatile double inPerSecond;
    private volatile double outPerSecond;
    private long lastIn;
    private long lastOut;
    private volatile boolean up = true;

    StatusServer(Host host, String bind, int port) throws IOException {
        this.host = host;
        for (String key : host.node().metrics().snapshot().keySet()) {
            FunctionCounter.builder("meshbus.node." + key, host, h -> h.node().metrics().snapshot().get(key))
                    .register(registry);
        }
        for (String key : host.metrics().keySet()) {
            Gauge.builder("meshbus.host." + key, host, h -> h.metrics().get(key)).register(registry);
        }
        Gauge.builder("meshbus.messages.in.rate", this, s -> s.inPerSecond).register(registry);
        Gauge.builder("meshbus.messages.out.rate", this, s -> s.outPerSecond).register(registry);
        sampler.scheduleAtFixedRate(this::sample, 1, 1, TimeUnit.SECONDS);
        http = HttpServer.create(new InetSocketAddress(bind, port), 16);
        http.setExecutor(Executors.newFixedThreadPool(2, r -> {
            Thread t = new Thread(r, "meshbus-http");
            t.setDaemon(true);
            return t;
        }));
        http.createContext("/", this::page);
        http.createContext("/status", x -> send(x, 200, "application/json",
                Payloads.JSON.writeValueAsString(status())));
        http.createContext("/metrics", x -> send(x, 200, "text/plain; version=0.0.4; charset=utf-8",
                registry.scrape()));
        http.createContext("/health", x -> send(x, up ? 200 : 503, "application/json",
                up ? "{\"status\":\"UP\"}" : "{\"status\":\"DOWN\"}"));
        http.start();
    }

    int port() {
        return http.getAddress().getPort();
    }

    private void sample() {
        long in = host.node().metrics().messagesReceived();
        long out = host.node().metrics().messagesSent();
        inPerSecond = in - lastIn;
        outPerSecond = out - lastOut;
        lastIn = in;
        lastOut = out;
    }

    Map<String, Object> status() {
        Map<String, Object> s = new LinkedHashMap<>();
        s.put("id", host.id());
        s.put("address", host.info() == null ? null : host.info().toString());
        s.put("networkId", host.networkId());
        s.put("members", host.members());
        Map<String, Object> links = new LinkedHashMap<>();
        for (String m : host.members()) {
            links.put(m, host.node().isConnected(m) ? "up" : "reconnecting");
        }
        s.put("links", links);
        s.put("peers", host.peers().size());
        s.put("peerSample", host.peers().stream().limit(50).map(p -> p.id()).sorted().toList());
        s.put("messagesInPerSecond", inPerSecond);
        s.put("messagesOutPerSecond", outPerSecond);
        s.put("node", host.node().metrics().snapshot());
        s.put("host", host.metrics());
        Map<String, Long> drops = new LinkedHashMap<>();
        Map<String, Long> n = host.node().metrics().snapshot();
        for (String k : List.of("protocolViolations", "framesTooLarge", "handshakeTimeouts", "idleTimeouts",
                "sendsBackPressured", "messagesDropped", "messagesFailed", "listenerErrors")) {
            drops.put(k, n.get(k));
        }
        drops.put("busDropped", host.metrics().get("dropped"));
        drops.put("busNotFound", host.metrics().get("notFound"));
        drops.put("busStrangers", host.metrics().get("strangers"));
        s.put("dropsAndErrors", drops);
        return s;
    }

    private void page(HttpExchange x) throws IOException {
        if (!x.getRequestURI().getPath().equals("/")) {
            send(x, 404, "text/plain", "not found");
            return;
        }
        try (InputStream in = StatusServer.class.getResourceAsStream("/status.html")) {
            send(x, 200, "text/html; charset=utf-8", new String(in.readAllBytes(), StandardCharsets.UTF_8));
        }
    }

    private static void send(HttpExchange x, int code, String type, String body) throws IOException {
        byte[] b = body.getBytes(StandardCharsets.UTF_8);
        x.getResponseHeaders().set("Content-Type", type);
        x.getResponseHeaders().set("Cache-Control", "no-store");
        x.sendResponseHeaders(code, b.length);
        try (OutputStream out = x.getResponseBody()) {
            out.write(b);
        }
    }

    @Override
    public void close() {
        up = false;
        http.stop(0);
        sampler.shutdownNow();
        registry.close();
    }
}

package io.meshbus.cli;

import com.sun.management.UnixOperatingSystemMXBean;
import io.meshbus.bus.Host;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.nio.NioEventLoopGroup;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryUsage;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * A host's status over HTTP: {@code /} a live dashboard (plain HTML and a script that polls), {@code /status} the same
 * figures as JSON, {@code /metrics} in Prometheus format (Micrometer), {@code /health} for probes. Binds the loopback
 * address unless told otherwise: it is an operator's window, not a public API.
 *
 * <p>Slow or silent clients cannot block it (the JDK's embedded server held a worker per connection until the request
 * arrived, so two clients that sent half a request took the window away): it runs on one Netty event loop of its
 * own, every connection must send its whole request within {@link #REQUEST_TIMEOUT} and is closed after
 * {@link #IDLE_TIMEOUT} without one, at most {@link #MAX_CONNECTIONS} are open at once (the next is closed at accept),
 * and responses are computed on a small executor, never on the event loop. See {@link StatusHttp}.
 */
final class StatusServer implements AutoCloseable {
    static final Duration REQUEST_TIMEOUT = Duration.ofSeconds(5);
    static final Duration IDLE_TIMEOUT = Duration.ofSeconds(30);
    static final int MAX_CONNECTIONS = 64;

    private final Host host;
    private final PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    private final ScheduledExecutorService sampler = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "meshbus-status");
        t.setDaemon(true);
        return t;
    });
    private final ExecutorService workers = Executors.newFixedThreadPool(2, r -> {
        Thread t = new Thread(r, "meshbus-http");
        t.setDaemon(true);
        return t;
    });
    private final EventLoopGroup loop = new NioEventLoopGroup(1, r -> {
        Thread t = new Thread(r, "meshbus-http-io");
        t.setDaemon(true);
        return t;
    });
    private final StatusHttp.Limits limits;
    private final Channel server;
    private final String page;
    private volatile double inPerSecond;
    private volatile double outPerSecond;
    private long lastIn;
    private long lastOut;
    private volatile boolean up = true;

    StatusServer(Host host, String bind, int port) throws IOException {
        this(host, bind, port, new StatusHttp.Limits(MAX_CONNECTIONS, REQUEST_TIMEOUT, IDLE_TIMEOUT));
    }

    StatusServer(Host host, String bind, int port, StatusHttp.Limits limits) throws IOException {
        this.host = host;
        this.limits = limits;
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
        try (InputStream in = StatusServer.class.getResourceAsStream("/status.html")) {
            page = new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
        StatusHttp.Routes routes = path -> switch (path) {
            case "/" -> new StatusHttp.Response(200, "text/html; charset=utf-8", page);
            case "/status" -> new StatusHttp.Response(200, "application/json", json(status()));
            case "/metrics" -> new StatusHttp.Response(200, "text/plain; version=0.0.4; charset=utf-8",
                    registry.scrape());
            case "/health" -> up ? new StatusHttp.Response(200, "application/json", "{\"status\":\"UP\"}")
                    : new StatusHttp.Response(503, "application/json", "{\"status\":\"DOWN\"}");
            default -> new StatusHttp.Response(404, "text/plain", "not found");
        };
        try {
            server = new ServerBootstrap().group(loop).channel(NioServerSocketChannel.class)
                    .childHandler(new ChannelInitializer<SocketChannel>() {
                        @Override
                        protected void initChannel(SocketChannel ch) {
                            StatusHttp.configure(ch, limits, routes, workers);
                        }
                    })
                    .bind(new InetSocketAddress(bind, port)).sync().channel();
        } catch (Exception e) {
            loop.shutdownGracefully(0, 0, TimeUnit.SECONDS);
            workers.shutdownNow();
            sampler.shutdownNow();
            throw new IOException("cannot serve the status page on " + bind + ":" + port + ": " + e.getMessage(), e);
        }
    }

    int port() {
        return ((InetSocketAddress) server.localAddress()).getPort();
    }

    /** Connections refused at accept because {@link #MAX_CONNECTIONS} were open, and those closed by a deadline. */
    Map<String, Long> httpMetrics() {
        return limits.snapshot();
    }

    /** What an operator watches for leaks: heap, threads and open file descriptors of this JVM. */
    static Map<String, Object> process() {
        Map<String, Object> p = new LinkedHashMap<>();
        MemoryUsage heap = ManagementFactory.getMemoryMXBean().getHeapMemoryUsage();
        p.put("heapUsed", heap.getUsed());
        p.put("heapMax", heap.getMax());
        p.put("threads", ManagementFactory.getThreadMXBean().getThreadCount());
        if (ManagementFactory.getOperatingSystemMXBean() instanceof UnixOperatingSystemMXBean os) {
            p.put("openFileDescriptors", os.getOpenFileDescriptorCount());
            p.put("maxFileDescriptors", os.getMaxFileDescriptorCount());
        }
        p.put("pid", ProcessHandle.current().pid());
        return p;
    }

    private static String json(Object o) {
        try {
            return Payloads.JSON.writeValueAsString(o);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
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
        s.put("process", process());
        s.put("http", limits.snapshot());
        return s;
    }

    @Override
    public void close() {
        up = false;
        server.close().syncUninterruptibly();
        loop.shutdownGracefully(0, 1, TimeUnit.SECONDS);
        workers.shutdownNow();
        sampler.shutdownNow();
        registry.close();
    }
}

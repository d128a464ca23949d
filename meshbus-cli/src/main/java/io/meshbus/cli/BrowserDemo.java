package io.meshbus.cli;

import io.meshbus.bus.Host;
import io.meshbus.bus.Peer;
import io.meshbus.js.BrowserGateway;
import io.meshbus.message.Headers;
import java.io.IOException;
import java.io.InputStream;
import java.time.Instant;
import java.util.Map;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * {@code meshbus demo --browser}: a host with a Java peer {@code echo}, a clock publishing on {@code clock.tick} every
 * second, and a browser gateway serving a page whose script joins as a peer, asks echo and shows the ticks.
 *
 * <p>Threads: the clock runs on its own daemon thread; {@link #close()} may run on any thread, once.
 */
final class BrowserDemo implements AutoCloseable {
    private final Host host;
    private final BrowserGateway gateway;
    private final ScheduledExecutorService clock;

    private BrowserDemo(Host host, BrowserGateway gateway, ScheduledExecutorService clock) {
        this.host = host;
        this.gateway = gateway;
        this.clock = clock;
    }

    static BrowserDemo start(String bindHost, int port) throws Exception {
        Host host = Host.builder().id("demo").listen("tcp://127.0.0.1:0").build();
        host.start().get(30, TimeUnit.SECONDS);
        Peer echo = host.create("echo");
        echo.onMessage((from, m) -> {
            if (m.header(Headers.REPLY_TO) != null) {
                echo.reply(m, Map.of("echo", m.decode(Object.class), "to", from));
            }
        });
        ScheduledExecutorService clock = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "demo-clock");
            t.setDaemon(true);
            return t;
        });
        clock.scheduleAtFixedRate(() -> host.publish("clock.tick", Instant.now().toString()), 0, 1, TimeUnit.SECONDS);
        BrowserGateway gateway = BrowserGateway.builder(host).bind(bindHost, port)
                .resource("/", "text/html; charset=utf-8", page())
                .build().start().get(30, TimeUnit.SECONDS);
        return new BrowserDemo(host, gateway, clock);
    }

    private static byte[] page() throws IOException {
        try (InputStream in = BrowserDemo.class.getResourceAsStream("demo.html")) {
            if (in == null) {
                throw new IllegalStateException("demo.html is missing from the jar");
            }
            return in.readAllBytes();
        }
    }

    BrowserGateway gateway() {
        return gateway;
    }

    @Override
    public void close() {
        clock.shutdownNow();
        gateway.close().orTimeout(10, TimeUnit.SECONDS).exceptionally(e -> null).join();
        host.close().orTimeout(10, TimeUnit.SECONDS).exceptionally(e -> null).join();
    }
}

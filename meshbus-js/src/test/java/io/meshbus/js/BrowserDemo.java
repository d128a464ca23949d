package io.meshbus.js;

import io.meshbus.bus.Host;
import io.meshbus.bus.Peer;
import io.meshbus.message.Headers;
import java.io.IOException;
import java.io.InputStream;
import java.time.Instant;
import java.util.Map;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * The README's example: a host with a Java peer "echo", a clock publishing on {@code clock.tick}, and a gateway that
 * serves a page whose script joins the network as a peer. Run it, then open the address it prints (see README; a
 * port can be given as the argument, else the system picks a free one).
 */
public final class BrowserDemo implements AutoCloseable {
    private final Host host;
    private final BrowserGateway gateway;
    private final ScheduledExecutorService clock;

    private BrowserDemo(Host host, BrowserGateway gateway, ScheduledExecutorService clock) {
        this.host = host;
        this.gateway = gateway;
        this.clock = clock;
    }

    public static BrowserDemo start(int port) throws IOException {
        Host host = Host.builder().id("demo").listen("tcp://127.0.0.1:0").build();
        host.start().join();

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

        byte[] page;
        try (InputStream in = BrowserDemo.class.getResourceAsStream("demo.html")) {
            page = in.readAllBytes();
        }
        BrowserGateway gateway = BrowserGateway.builder(host).bind("127.0.0.1", port)
                .resource("/", "text/html; charset=utf-8", page)
                .build().start().join();
        return new BrowserDemo(host, gateway, clock);
    }

    public BrowserGateway gateway() {
        return gateway;
    }

    @Override
    public void close() {
        clock.shutdownNow();
        gateway.close().join();
        host.close().join();
    }

    public static void main(String[] args) throws Exception {
        int port = args.length > 0 ? Integer.parseInt(args[0]) : 0;
        BrowserDemo demo = start(port);
        System.out.println("open http://127.0.0.1:" + demo.gateway().address().getPort() + "/ (Ctrl-C to stop)");
        Runtime.getRuntime().addShutdownHook(new Thread(demo::close));
        Thread.currentThread().join();
    }
}

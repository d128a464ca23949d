package io.meshbus.cli;

import io.meshbus.bus.Host;
import io.meshbus.bus.Peer;
import io.meshbus.message.Headers;
import io.meshbus.js.BrowserGateway;
import java.io.PrintWriter;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code meshbus host}: a long-running host; stops with a goodbye on SIGINT or SIGTERM. */
@Command(name = "host", mixinStandardHelpOptions = true, description = "Run a host until interrupted.")
final class HostCommand implements Callable<Integer> {
    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Option(names = "--id", description = "Host id (default: host- and a random suffix).")
    String id;

    @Option(names = "--listen", split = ",", defaultValue = "tcp://127.0.0.1:7400",
            description = "Where to listen (repeatable): tcp://, tls://, ws://, wss://, mem://, and for the Node "
                    + "originals distribus+ws://, masterless+tcp://, distro+tcp://, distro+udp4://, distro+udp6:// "
                    + "(host:port). Default: ${DEFAULT-VALUE}.")
    List<String> listen;

    @Option(names = "--join", split = ",", description = "Members of a network to join (repeatable), with the same "
            + "schemes as --listen: a distribus+ws:// host, a masterless+tcp:// node, a distro+tcp:// server.")
    List<String> join;

    @Option(names = "--network-id", description = "Network id; hosts of other networks are refused.")
    String networkId;

    @Option(names = "--status-port", defaultValue = "-1",
            description = "Serve the status page, /status, /metrics and /health on this port of 127.0.0.1 "
                    + "(0 picks one; -1, the default, turns it off).")
    int statusPort;

    @Option(names = "--reconnect-timeout", defaultValue = "5m", paramLabel = "DURATION",
            description = "How long a member whose link is down is re-dialled before it is given up, its peers "
                    + "forgotten and what was queued for it released (e.g. 30s, 5m). Default: ${DEFAULT-VALUE}.")
    String reconnectTimeout;

    @Option(names = "--echo", split = ",", description = "Create a peer that echoes messages and answers requests.")
    List<String> echo;

    @Option(names = "--backplane", description = "Run over a broker instead of direct links: redis://host:port, "
            + "rediss://, nats://host:port or tls:// (hosts on one broker and --network-id find each other).")
    String backplane;

    @CommandLine.Mixin
    SecurityOptions security = new SecurityOptions();

    @Option(names = "--config", paramLabel = "FILE", description = "A YAML file of host options: keys are the long "
            + "option names without dashes (listen: [tcp://127.0.0.1:7400], status-port: 8222); flags override it.")
    String config;

    @Option(names = "--print-config", description = "Print the effective configuration as YAML (secrets masked) "
            + "and exit.")
    boolean printConfig;

    @CommandLine.Mixin
    BrowserOptions browser = new BrowserOptions();

    @Option(names = "--tls-mutual", description = "Require a trusted certificate from every host that dials in.")
    boolean tlsMutual;

    @Override
    public Integer call() throws Exception {
        PrintWriter out = spec.commandLine().getOut();
        if (config != null) {
            // Also when every option came from flags, so that a bad file is never silently ignored.
            YamlConfig.read(java.nio.file.Path.of(config), ConfigDefaults.keys(spec));
        }
        if (printConfig) {
            out.print(EffectiveConfig.yaml(spec));
            out.flush();
            return ExitCodes.OK;
        }
        Bridges bridges = new Bridges(listen, join);
        browser.check();
        io.meshbus.bus.HostOptions.Builder ob = Host.builder()
                .id(id != null ? id : "host-" + UUID.randomUUID().toString().substring(0, 8)).networkId(networkId)
                .reconnectTimeout(ClientOptions.parseDuration(reconnectTimeout, "--reconnect-timeout"));
        byte[] secret = security.secret();
        io.meshbus.transport.TlsConfig tls = security.tls(tlsMutual);
        ob.node(n -> n.secret(secret).tls(tls));
        if (backplane != null) {
            ob.backplane(Backplanes.of(backplane, networkId));
        } else {
            bridges.nativeListen().forEach(ob::listen);
        }
        Host host = ob.build();
        host.start().get(30, TimeUnit.SECONDS);
        out.println("host " + host.id() + (backplane != null ? " on " + backplane + ", members: " + host.members()
                : " listening on " + host.node().addresses()));
        out.flush();
        // Everything started after the host is closed in reverse order, on failure as on SIGTERM. Filled by this
        // thread only; the shutdown hook reads it after Thread.start, which publishes it.
        Deque<Runnable> stops = new ArrayDeque<>();
        stops.push(() -> host.close().orTimeout(10, TimeUnit.SECONDS).exceptionally(e -> null).join());
        try {
            stops.push(bridges::close);
            bridges.start(host).forEach(out::println);
            out.flush();
            if (!bridges.nativeJoin().isEmpty()) {
                host.join(bridges.nativeJoin().toArray(new String[0])).get(60, TimeUnit.SECONDS);
                out.println("joined; members: " + host.members());
            }
            bridges.join().forEach(out::println);
            BrowserGateway gateway = browser.start(host);
            if (gateway != null) {
                stops.push(() -> gateway.close().orTimeout(10, TimeUnit.SECONDS).exceptionally(e -> null).join());
                out.println(BrowserOptions.describe(gateway));
            }
            for (String e : echo == null ? List.<String>of() : echo) {
                echo(host.create(e));
                out.println("echo peer " + e + " ready");
            }
            if (statusPort >= 0) {
                StatusServer status = new StatusServer(host, "127.0.0.1", statusPort);
                stops.push(status::close);
                out.println("status on http://127.0.0.1:" + status.port() + "/");
            }
            out.flush();
        } catch (Exception e) {
            stops.forEach(Runnable::run);
            throw e;
        }
        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            stops.forEach(Runnable::run);
            System.err.println("host " + host.id() + " left the network");
            stopped.countDown();
        }, "meshbus-shutdown"));
        stopped.await();
        return ExitCodes.OK;
    }

    /** Answers requests with the request itself, and sends anything else back to its sender. */
    private static void echo(Peer p) {
        p.onMessage((from, m) -> {
            if (m.header(Headers.REPLY_TO) != null && m.header(Headers.CORRELATION_ID) != null) {
                p.reply(m, m);
            } else {
                p.sendAndForget(from, m);
            }
        });
    }
}

package io.meshbus.netbench;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.meshbus.bus.Host;
import io.meshbus.bus.Peer;
import io.meshbus.message.Headers;
import io.meshbus.message.Message;
import io.meshbus.node.Delay;
import io.meshbus.node.NodeListener;
import java.io.BufferedReader;
import java.io.FileDescriptor;
import java.io.FileOutputStream;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryUsage;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Queue;
import java.util.Set;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * One host of the bench, in its own JVM inside its own network namespace: host {@code h<i>} with peer {@code p<i>},
 * subscribed to the fan-out subject and in the queue group, sending {@link Traffic} when told to and recording what
 * it receives in {@link Receipts}.
 *
 * <p>Its control channel is stdin and stdout, which cross namespaces without any network: the bench writes
 * {@code <id> <COMMAND> [arg]}, the host answers {@code <id> OK <json>} or {@code <id> ERR <text>}. Commands:
 * {@code STATUS [gc]} (members, which links are up, heap, threads, file descriptors, futures outstanding),
 * {@code TRAFFIC <phase>}, {@code QUIET}, {@code REPORT <phase>}, {@code EVENTS} (link ups and downs with their wall
 * clock times), {@code QUIT}. It prints {@code READY <json>} once joined, logs only to stderr, and exits when stdin
 * closes, so it never outlives the bench.
 *
 * <p>Threads: the main thread reads and answers commands; the ticker sends; the host's threads deliver. The
 * protocol stream is written by the main thread only.
 */
public final class NetHostMain {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Duration JOIN_WAIT = Duration.ofSeconds(60);

    private final HostSpec spec;
    private final Host host;
    private final Receipts receipts = new Receipts();
    private final Queue<Map<String, Object>> events = new ConcurrentLinkedQueue<>();
    private final ScheduledExecutorService ticker = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "netbench-traffic");
        t.setDaemon(true);
        return t;
    });
    private final Traffic traffic;

    private NetHostMain(HostSpec spec) {
        this.spec = spec;
        BenchSettings s = spec.settings();
        Duration delay = Duration.ofMillis(s.reconnectDelayMs());
        this.host = Host.builder().id(spec.hostId()).networkId("netbench").listen(spec.listen())
                .reconnectDelay(delay).reconnectTimeout(Duration.ofMillis(s.giveUpMs()))
                .requestTimeout(Duration.ofMillis(s.timeoutMs()))
                .node(b -> b.heartbeatInterval(Duration.ofMillis(s.heartbeatMs()))
                        .idleTimeout(Duration.ofMillis(s.idleMs()))
                        .reconnectDelay(Delay.exponentialWithJitter(delay, Duration.ofMillis(s.reconnectMaxMs()),
                                2.0)))
                .build();
        List<String> targets = new ArrayList<>();
        for (int i = 1; i <= spec.hosts(); i++) {
            if (i != spec.index()) {
                targets.add(HostSpec.peerId(i));
            }
        }
        Peer peer = host.create(HostSpec.peerId(spec.index()));
        peer.onMessage((from, m) -> onMessage(peer, m));
        this.traffic = new Traffic(peer, spec.sender(), targets, Duration.ofMillis(s.timeoutMs()), ticker,
                s.tickMs());
        host.node().addListener(new NodeListener() {
            @Override
            public void onConnect(ConnectEvent e) {
                events.add(event(e.id(), "up", e.restarted()));
            }

            @Override
            public void onDisconnect(DisconnectEvent e) {
                events.add(event(e.id(), e.reconnecting() ? "down" : "given-up", false));
            }
        });
    }

    private static Map<String, Object> event(String remote, String what, boolean restarted) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("remote", remote);
        m.put("what", what);
        m.put("at", System.currentTimeMillis());
        m.put("restarted", restarted);
        return m;
    }

    private void onMessage(Peer peer, Message m) {
        String text = m.payloadText();
        receipts.record(text);
        if (text.startsWith("req|") && m.header(Headers.REPLY_TO) != null) {
            // What fails here shows on the requester's side, typed.
            peer.reply(m, "ok").exceptionally(e -> null);
        }
    }

    public static void main(String[] args) throws Exception {
        // stdout is the control channel: nothing else may write to it, logging included.
        PrintStream control = new PrintStream(new FileOutputStream(FileDescriptor.out), true,
                StandardCharsets.UTF_8);
        System.setOut(System.err);
        HostSpec spec = JSON.readValue(args[0], HostSpec.class);
        NetHostMain main = new NetHostMain(spec);
        try {
            main.start();
        } catch (Exception e) {
            control.println("ERR start failed: " + e);
            System.exit(1);
        }
        control.println("READY " + JSON.writeValueAsString(main.status(false)));
        main.serve(control);
    }

    private void start() throws Exception {
        host.start().get(30, TimeUnit.SECONDS);
        host.subscribe(Traffic.FAN_OUT, (from, m) -> receipts.record(m.payloadText())).get(30, TimeUnit.SECONDS);
        host.subscribe(Traffic.WORK, Traffic.WORKERS, (from, m) -> receipts.record(m.payloadText()))
                .get(30, TimeUnit.SECONDS);
        if (spec.seeds().isEmpty()) {
            return;
        }
        // The seed may still be starting, or cut off: try until one admits this host.
        long deadline = System.nanoTime() + JOIN_WAIT.toNanos();
        while (true) {
            try {
                host.join(spec.seeds().toArray(new String[0])).get(30, TimeUnit.SECONDS);
                return;
            } catch (Exception e) {
                if (System.nanoTime() > deadline) {
                    throw e;
                }
                Thread.sleep(200); // a retry pace, not a synchronisation
            }
        }
    }

    private void serve(PrintStream control) throws IOException {
        BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
        for (String line = in.readLine(); line != null; line = in.readLine()) {
            String[] w = line.strip().split(" ", 3);
            if (w.length < 2) {
                continue;
            }
            String id = w[0];
            String arg = w.length > 2 ? w[2] : "";
            try {
                Object answer = switch (w[1]) {
                    case "STATUS" -> status(arg.equals("gc"));
                    case "TRAFFIC" -> {
                        traffic.start(arg);
                        yield Map.of();
                    }
                    case "QUIET" -> {
                        traffic.stop();
                        yield Map.of();
                    }
                    case "REPORT" -> Map.of("sent", traffic.report(arg), "received", receipts.report(arg));
                    case "EVENTS" -> new ArrayList<>(events);
                    case "QUIT" -> {
                        quit(control, id);
                        yield Map.of();
                    }
                    default -> throw new IllegalArgumentException("unknown command " + w[1]);
                };
                control.println(id + " OK " + JSON.writeValueAsString(answer));
            } catch (RuntimeException e) {
                control.println(id + " ERR " + e);
            }
        }
        // The bench is gone.
        traffic.stop();
        Runtime.getRuntime().halt(0);
    }

    private void quit(PrintStream control, String id) {
        traffic.stop();
        host.close().orTimeout(10, TimeUnit.SECONDS).exceptionally(e -> null).join();
        control.println(id + " OK {}");
        System.exit(0);
    }

    private Map<String, Object> status(boolean gc) {
        if (gc) {
            // Twice: what the first collection finalises, the second frees; the figure is then comparable.
            System.gc();
            System.gc();
        }
        Map<String, Object> s = new LinkedHashMap<>();
        s.put("id", host.id());
        s.put("incarnation", spec.incarnation());
        s.put("pid", ProcessHandle.current().pid());
        Set<String> members = host.members();
        s.put("members", members);
        s.put("connected", members.stream().filter(m -> host.node().isConnected(m)).sorted().toList());
        MemoryUsage heap = ManagementFactory.getMemoryMXBean().getHeapMemoryUsage();
        s.put("heapUsed", heap.getUsed());
        s.put("heapMax", heap.getMax());
        s.put("threads", ManagementFactory.getThreadMXBean().getThreadCount());
        s.put("fds", openFileDescriptors());
        s.put("outstanding", traffic.outstanding());
        Map<String, Long> metrics = host.metrics();
        s.put("pending", metrics.get("pending"));
        s.put("unacknowledged", metrics.get("atLeastOnceUnacknowledged"));
        s.put("atLeastOnceResent", metrics.get("atLeastOnceResent"));
        return s;
    }

    private static long openFileDescriptors() {
        try (Stream<Path> fds = Files.list(Path.of("/proc/self/fd"))) {
            // One of them is the directory listing itself.
            return fds.count() - 1;
        } catch (IOException e) {
            return -1;
        }
    }
}

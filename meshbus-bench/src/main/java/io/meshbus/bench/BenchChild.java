package io.meshbus.bench;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;

/**
 * The other JVM of every scenario, started by {@link ChildProcess}: runs a {@link Contender}'s server side
 * ({@code sink} or {@code echo}) and answers the harness's line commands on stdin.
 *
 * <pre>
 * args: CONTENDER sink|echo SIZE LIFETIME_SECONDS
 * out:  READY address            once the server listens
 * in:   MEASURE warmupMs windowMs  -> WINDOW delivered nanos   (counted by this JVM's clock over the window)
 * in:   DRAIN expected timeoutMs [quietMs]
 *                                  -> TOTAL delivered malformed (waits until expected messages arrived, or timeout,
 *                                     or with quietMs until none arrived for that long: for lossy transports)
 * in:   QUIT, or end of stdin      -> closes the server and exits
 * out:  ERROR text                 on any failure, then exit code 1
 * </pre>
 */
public final class BenchChild {
    private static final List<Contender> CONTENDERS = List.of(NodeScenarios.NODE, RawSocketBaselines.RAW,
            BusScenarios.BUS, BusScenarios.BUS_CONFIRMED, BusScenarios.BUS_AT_LEAST_ONCE, PubSubScenarios.PUBLISH,
            PubSubScenarios.FANOUT, RouteScenarios.TCP, RouteScenarios.UDP, RawDatagramBaseline.RAW_UDP);

    private BenchChild() {
    }

    public static void main(String[] args) {
        try {
            run(args);
            System.exit(0);
        } catch (Throwable t) {
            reply("ERROR " + t.toString().replace('\n', ' '));
            t.printStackTrace();
            System.exit(1);
        }
    }

    private static void run(String[] args) throws Exception {
        if (args.length != 4) {
            throw new IllegalArgumentException("usage: BenchChild CONTENDER sink|echo SIZE LIFETIME_SECONDS");
        }
        Contender contender = CONTENDERS.stream().filter(c -> c.name().equals(args[0])).findFirst()
                .orElseThrow(() -> new IllegalArgumentException("unknown contender: " + args[0]));
        int size = Integer.parseInt(args[2]);
        startWatchdog(Duration.ofSeconds(Long.parseLong(args[3])));
        try (Contender.ChildServer server = switch (args[1]) {
            case "sink" -> contender.sink(size);
            case "echo" -> contender.echo(size);
            default -> throw new IllegalArgumentException("unknown role: " + args[1]);
        }) {
            reply("READY " + server.address());
            BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
            for (String line = in.readLine(); line != null && !line.equals("QUIT"); line = in.readLine()) {
                String[] w = line.split(" ");
                switch (w[0]) {
                    case "MEASURE" -> measure(server, Long.parseLong(w[1]), Long.parseLong(w[2]));
                    case "DRAIN" -> drain(server, Long.parseLong(w[1]), Long.parseLong(w[2]),
                            w.length > 3 ? Long.parseLong(w[3]) : 0);
                    default -> throw new IllegalArgumentException("unknown command: " + line);
                }
            }
        }
    }

    /** Counts over a window timed here, on the receiving side, so the harness's command latency does not matter. */
    private static void measure(Contender.ChildServer server, long warmupMs, long windowMs)
            throws InterruptedException {
        Thread.sleep(warmupMs);
        long t0 = System.nanoTime();
        long c0 = server.delivered();
        Thread.sleep(windowMs);
        long c1 = server.delivered();
        long t1 = System.nanoTime();
        reply("WINDOW " + (c1 - c0) + " " + (t1 - t0));
    }

    private static void drain(Contender.ChildServer server, long expected, long timeoutMs, long quietMs)
            throws InterruptedException {
        long deadline = System.nanoTime() + Duration.ofMillis(timeoutMs).toNanos();
        long seen = -1;
        long seenAt = System.nanoTime();
        while (server.delivered() + server.malformed() < expected && System.nanoTime() < deadline) {
            long now = server.delivered() + server.malformed();
            if (now != seen) {
                seen = now;
                seenAt = System.nanoTime();
            } else if (quietMs > 0 && System.nanoTime() - seenAt > Duration.ofMillis(quietMs).toNanos()) {
                break;
            }
            Thread.sleep(1);
        }
        reply("TOTAL " + server.delivered() + " " + server.malformed());
    }

    /** Ends this JVM after its lifetime even if the harness died without closing our stdin. */
    static void startWatchdog(Duration lifetime) {
        Thread t = new Thread(() -> {
            try {
                Thread.sleep(lifetime.toMillis());
                System.err.println("bench child: lifetime of " + lifetime.toSeconds() + " s is over; exiting");
                Runtime.getRuntime().halt(3);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }, "bench-child-watchdog");
        t.setDaemon(true);
        t.start();
    }

    /**
     * For a child whose main thread is busy measuring: ends this JVM when the harness sends QUIT or its end of stdin
     * closes (it was closed, or it died).
     */
    static void exitWhenStdinCloses() {
        Thread t = new Thread(() -> {
            try (BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8))) {
                for (String line = in.readLine(); line != null && !line.equals("QUIT"); line = in.readLine()) {
                    System.err.println("bench child: ignored command: " + line);
                }
            } catch (IOException e) {
                System.err.println("bench child: reading stdin failed: " + e);
            }
            // exit, not halt: shutdown hooks run, so a flight recording asked for on the command line is written.
            System.exit(0);
        }, "bench-child-stdin");
        t.setDaemon(true);
        t.start();
    }

    static void reply(String line) {
        System.out.println(line);
        System.out.flush();
    }
}

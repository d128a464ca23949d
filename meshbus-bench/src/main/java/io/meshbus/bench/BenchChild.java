package io.meshbus.bench;

import io.meshbus.bench.TwoJvmContender.ChildServer;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.time.Duration;

/**
 * The other JVM of a {@link TwoJvmContender}, started by {@link ChildProcess}: runs the contender's server side
 * ({@code sink} or {@code echo}) and answers the harness's line commands on stdin. The harness does all the timing;
 * this end only counts.
 *
 * <pre>
 * args: CONTENDER sink|echo SIZE LIFETIME_SECONDS
 * out:  READY address            once the server listens
 * in:   COUNT                    -> COUNT delivered malformed
 * in:   QUIT, or end of stdin    -> closes the server and exits
 * out:  ERROR text               on any failure, then exit code 1
 * </pre>
 */
public final class BenchChild {
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
        TwoJvmContender contender = Catalog.childContender(args[0]);
        int size = Integer.parseInt(args[2]);
        startWatchdog(Duration.ofSeconds(Long.parseLong(args[3])));
        try (ChildServer server = switch (args[1]) {
            case "sink" -> contender.sink(size);
            case "echo" -> contender.echo(size);
            default -> throw new IllegalArgumentException("unknown role: " + args[1]);
        }) {
            reply("READY " + server.address().get());
            BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
            for (String line = in.readLine(); line != null && !line.equals("QUIT"); line = in.readLine()) {
                if (!line.equals("COUNT")) {
                    throw new IllegalArgumentException("unknown command: " + line);
                }
                reply("COUNT " + server.delivered().getAsLong() + " " + server.malformed().getAsLong());
            }
        }
    }

    /** Ends this JVM after its lifetime even if the harness died without closing our stdin. */
    public static void startWatchdog(Duration lifetime) {
        Waits.daemon(() -> {
            try {
                Thread.sleep(lifetime.toMillis());
                System.err.println("bench child: lifetime of " + lifetime.toSeconds() + " s is over; exiting");
                Runtime.getRuntime().halt(3);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }, "bench-child-watchdog");
    }

    /**
     * For a child whose main thread is busy measuring: ends this JVM when the harness sends QUIT or its end of stdin
     * closes (it was closed, or it died).
     */
    static void exitWhenStdinCloses() {
        Waits.daemon(() -> {
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
    }

    public static void reply(String line) {
        System.out.println(line);
        System.out.flush();
    }
}

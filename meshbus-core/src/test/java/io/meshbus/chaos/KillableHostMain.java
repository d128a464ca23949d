package io.meshbus.chaos;

import static org.awaitility.Awaitility.await;

import io.meshbus.bus.Host;
import io.meshbus.bus.Peer;
import java.time.Duration;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A host in its own JVM, so that {@link HostKillTest} can kill it for real (SIGKILL). Arguments: the seed's URI, this
 * host's id (the same for every incarnation), a tag naming the incarnation, how many messages its own stream sends,
 * and how many it sends per 5 ms tick.
 *
 * <p>It runs two peers. {@code victim} echoes every message back to its sender in the mode the payload names
 * ({@code "alo|flow|seq"} at least once, {@code "conf|..."} confirmed, {@code "ff|..."} fire and forget) as
 * {@code "<mode>|<flow>/echo|seq"}. {@code c-stream} sends the numbered at-least-once stream
 * {@code "alo|c-stream>sink#<tag>|1"}, {@code |2}, ... to the peer {@code sink} on the seed's side. A message of a
 * flow named {@code ...#hold-<tag>} is handed to {@code victim}'s listener, which never returns: that message is
 * delivered but never acknowledged, and nothing after it is acknowledged either.
 *
 * <p>Prints {@code READY <host id>} once joined and {@code sink} is found, {@code HOLDING <payload>} when it holds a
 * message, and {@code STREAMED <count> OK <ok> FAILED <errors>} when every future of its stream has ended. Exits when
 * its stdin closes, so that it dies with the test's JVM even when nobody kills it.
 */
public final class KillableHostMain {
    static final String VICTIM = "victim";
    static final String STREAMER = "c-stream";
    static final String SINK = "sink";
    static final Duration TIMEOUT = Duration.ofSeconds(3);

    private KillableHostMain() {
    }

    public static void main(String[] args) throws Exception {
        String seed = args[0];
        String id = args[1];
        String tag = args[2];
        int count = Integer.parseInt(args[3]);
        int perTick = Integer.parseInt(args[4]);
        Host h = Host.builder().id(id).listen("tcp://127.0.0.1:0").reconnectDelay(Duration.ofMillis(50))
                .reconnectTimeout(TIMEOUT).requestTimeout(TIMEOUT).build();
        h.start().orTimeout(20, TimeUnit.SECONDS).join();
        Peer victim = h.create(VICTIM);
        String hold = "#hold-" + tag + "|";
        victim.onMessage((from, m) -> {
            String text = m.payloadText();
            if (text.contains(hold)) {
                System.out.println("HOLDING " + text);
                System.out.flush();
                holdUntilKilled();
            }
            echo(victim, from, text);
        });
        Peer streamer = h.create(STREAMER);
        h.join(seed).orTimeout(20, TimeUnit.SECONDS).join();
        awaitFound(h, SINK);
        System.out.println("READY " + h.id());
        System.out.flush();

        String flow = "alo|" + STREAMER + ">" + SINK + "#" + tag;
        AtomicLong next = new AtomicLong(1);
        AtomicInteger ended = new AtomicInteger();
        AtomicInteger ok = new AtomicInteger();
        Map<String, Integer> errors = new TreeMap<>();
        ScheduledExecutorService ticker = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "c-stream");
            t.setDaemon(true);
            return t;
        });
        // Paced, not as fast as possible: the stream must still be running when the test kills this process.
        ticker.scheduleAtFixedRate(() -> {
            for (int i = 0; i < perTick && next.get() <= count; i++) {
                streamer.sendAtLeastOnce(SINK, flow + "|" + next.getAndIncrement()).whenComplete((v, e) -> {
                    if (e == null) {
                        ok.incrementAndGet();
                    } else {
                        synchronized (errors) {
                            errors.merge(unwrap(e).getClass().getSimpleName(), 1, Integer::sum);
                        }
                    }
                    if (ended.incrementAndGet() == count) {
                        synchronized (errors) {
                            System.out.println("STREAMED " + count + " OK " + ok.get() + " FAILED " + errors);
                        }
                        System.out.flush();
                    }
                });
            }
        }, 0, 5, TimeUnit.MILLISECONDS);

        while (System.in.read() >= 0) {
            // the test kills this process, or closes stdin when its own JVM goes
        }
        System.exit(0);
    }

    private static void holdUntilKilled() {
        try {
            new CountDownLatch(1).await();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private static void echo(Peer victim, String from, String text) {
        int bar = text.lastIndexOf('|');
        if (bar < 0) {
            return;
        }
        String echo = text.substring(0, bar) + "/echo" + text.substring(bar);
        // What fails here shows on the sender's side as a missing echo.
        if (text.startsWith("alo|")) {
            victim.sendAtLeastOnce(from, echo).exceptionally(e -> null);
        } else if (text.startsWith("conf|")) {
            victim.send(from, echo).exceptionally(e -> null);
        } else if (text.startsWith("ff|")) {
            victim.sendAndForget(from, echo);
        }
    }

    /** The peer registers moments after the join: look it up until the directory has it. */
    private static void awaitFound(Host h, String peerId) {
        await().atMost(Duration.ofSeconds(20)).pollInterval(Duration.ofMillis(20)).until(() -> h.find(peerId)
                .handle((where, e) -> e == null).orTimeout(5, TimeUnit.SECONDS).exceptionally(e -> false).join());
    }

    private static Throwable unwrap(Throwable t) {
        while (t instanceof CompletionException && t.getCause() != null) {
            t = t.getCause();
        }
        return t;
    }
}

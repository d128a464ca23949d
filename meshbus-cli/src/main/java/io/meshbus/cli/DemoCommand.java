package io.meshbus.cli;

import io.meshbus.bus.Host;
import io.meshbus.bus.Peer;
import io.meshbus.error.PeerNotFoundException;
import io.meshbus.message.Message;
import java.io.PrintWriter;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/**
 * The embedded demo, with no setup: three hosts in one process on loopback, peers on each, a confirmed send, a
 * request/reply, a publish to a wildcard subscription, a queue group, and a host leaving.
 */
@Command(name = "demo", mixinStandardHelpOptions = true,
        description = "Run an embedded demo: three hosts on 127.0.0.1, peers, messages, channels, then shut down.")
final class DemoCommand implements Callable<Integer> {
    private static final long WAIT = 10;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @CommandLine.Option(names = "--transport", defaultValue = "tcp",
            description = "tcp, ws or mem (in-memory links). Default: ${DEFAULT-VALUE}.")
    String transport;

    @CommandLine.Option(names = "--browser", arity = "0..1", fallbackValue = "127.0.0.1:0", paramLabel = "HOST:PORT",
            description = "Run the browser demo instead: a page that joins as a peer, asks echo and shows clock "
                    + "ticks; prints its address and runs until interrupted (default address 127.0.0.1, a free port).")
    String browser;

    private PrintWriter out;

    private void say(String format, Object... args) {
        synchronized (this) {
            out.printf(format + "%n", args);
            out.flush();
        }
    }

    /** Lets the network settle before the next line of the story (bounded: the story fails rather than hang). */
    private static void until(java.util.function.BooleanSupplier condition) {
        long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(WAIT);
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > end) {
                throw new IllegalStateException("the network did not settle within " + WAIT + " s");
            }
            java.util.concurrent.locks.LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(5));
        }
    }

    @Override
    public Integer call() throws Exception {
        out = spec.commandLine().getOut();
        if (browser != null) {
            return browserDemo();
        }
        String listen = switch (transport) {
            case "mem" -> "mem://0";
            case "ws" -> "ws://127.0.0.1:0";
            default -> "tcp://127.0.0.1:0";
        };
        Host h1 = Host.builder().id("host-1").listen(listen).build();
        Host h2 = Host.builder().id("host-2").listen(listen).build();
        Host h3 = Host.builder().id("host-3").listen(listen).build();
        List<Host> hosts = List.of(h1, h2, h3);
        try {
            say("-- three hosts start and form one network");
            for (Host h : hosts) {
                h.start().get(WAIT, TimeUnit.SECONDS);
                say("%s listening on %s", h.id(), h.info());
            }
            h2.join(h1.info().toString()).get(WAIT, TimeUnit.SECONDS);
            h3.join(h2.info().toString()).get(WAIT, TimeUnit.SECONDS);
            until(() -> h1.members().size() == 2);
            say("host-3 joined through host-2; host-1 now knows %s", h1.members());

            Peer alice = h1.create("alice");
            Peer bob = h2.create("bob");
            Peer carol = h3.create("carol");
            CountDownLatch bobGot = new CountDownLatch(1);
            bob.onMessage((from, m) -> {
                say("bob    got %s from %s", m.payloadText(), from);
                bobGot.countDown();
            });
            carol.onMessage((from, m) -> {
                if (m.header("replyTo") != null) {
                    carol.reply(m, Map.of("answer", 42));
                }
            });

            say("-- alice (host-1) sends to bob (host-2) and waits for the confirmation");
            alice.send("bob", Map.of("greeting", "hi bob")).get(WAIT, TimeUnit.SECONDS);
            bobGot.await(WAIT, TimeUnit.SECONDS);
            say("alice  confirmed: bob's listener has it");

            say("-- alice asks carol (host-3) a question");
            Message reply = alice.request("carol", Map.of("question", "meaning of life"), Duration.ofSeconds(WAIT))
                    .get(WAIT, TimeUnit.SECONDS);
            say("alice  got the reply %s", reply.payloadText());

            say("-- carol subscribes to orders.*; alice publishes three orders");
            CountDownLatch orders = new CountDownLatch(2);
            carol.subscribe("orders.*", (from, m) -> {
                say("carol  got %s on %s from %s", m.payloadText(), m.header("channel"), from);
                orders.countDown();
            }).get(WAIT, TimeUnit.SECONDS);
            alice.publish("orders.eu", Map.of("sku", "a1"));
            alice.publish("orders.eu.late", Map.of("sku", "not for orders.*"));
            alice.publish("orders.us", Map.of("sku", "b2"));
            orders.await(WAIT, TimeUnit.SECONDS);

            say("-- two workers on two hosts share jobs.> as queue group \"workers\"");
            CountDownLatch jobs = new CountDownLatch(4);
            Peer w1 = h2.create("worker-1");
            Peer w2 = h3.create("worker-2");
            for (Peer w : List.of(w1, w2)) {
                w.subscribe("jobs.>", "workers", (from, m) -> {
                    say("%s took %s", w.id(), m.payloadText());
                    jobs.countDown();
                }).get(WAIT, TimeUnit.SECONDS);
            }
            for (int i = 1; i <= 4; i++) {
                alice.publish("jobs.resize", "job-" + i);
            }
            jobs.await(WAIT, TimeUnit.SECONDS);

            say("-- host-3 leaves (goodbye: the others forget its peers at once)");
            h3.close().get(WAIT, TimeUnit.SECONDS);
            try {
                alice.send("carol", "still there?").get(WAIT, TimeUnit.SECONDS);
                say("unexpected: carol still answered");
            } catch (ExecutionException e) {
                if (!(e.getCause() instanceof PeerNotFoundException)) {
                    throw e;
                }
                say("alice  send to carol failed as it should: %s", e.getCause().getMessage());
            }
            until(() -> h1.members().size() == 1);
            say("host-1 now knows %s", h1.members());
        } finally {
            say("-- closing");
            for (Host h : hosts) {
                h.close().get(15, TimeUnit.SECONDS);
            }
            say("done");
        }
        return ExitCodes.OK;
    }

    private int browserDemo() throws Exception {
        BrowserOptions where = new BrowserOptions();
        where.browser = browser;
        where.check();
        BrowserDemo demo = BrowserDemo.start(where.bindHost(), where.bindPort());
        say("browser demo: open http://%s/ (Ctrl-C to stop)", demo.gateway().scriptUrl().getAuthority());
        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            demo.close();
            stopped.countDown();
        }, "meshbus-demo-shutdown"));
        stopped.await();
        return ExitCodes.OK;
    }
}

package io.meshbus.cli;

import io.meshbus.bus.Host;
import io.meshbus.bus.HostAddress;
import io.meshbus.bus.Peer;
import io.meshbus.message.Headers;
import io.meshbus.message.Message;
import java.io.PrintWriter;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** The one-shot commands: each joins the network as a short-lived host, does one thing, and leaves. */
final class ClientCommands {
    private ClientCommands() {
    }

    /** Joins, runs the action with a peer of the short-lived host, and always leaves. */
    abstract static class Base implements Callable<Integer> {
        @Mixin
        ClientOptions client;

        @CommandLine.Spec
        CommandLine.Model.CommandSpec spec;

        PrintWriter out() {
            return spec.commandLine().getOut();
        }

        @Override
        public Integer call() throws Exception {
            Host host = client.joinNetwork();
            try {
                return run(host, host.create(peerId()));
            } finally {
                // The work is done: a slow goodbye must not turn a success into a failure.
                host.close().orTimeout(10, TimeUnit.SECONDS).exceptionally(e -> null).join();
            }
        }

        abstract int run(Host host, Peer me) throws Exception;

        /** The id this command acts as. */
        String peerId() {
            return client.peerId();
        }

        Message payload(String arg, Headers headers) throws Exception {
            return Payloads.message(Payloads.read(arg, System.in), client.codec, headers);
        }

        String json(Map<String, Object> m) throws Exception {
            return Payloads.JSON.writeValueAsString(m);
        }
    }

    @Command(name = "send", mixinStandardHelpOptions = true,
            description = "Send a message to a peer and wait for its confirmation.")
    static final class Send extends Base {
        @Option(names = "--to", required = true, description = "Target peer id.")
        String to;

        @Parameters(arity = "0..1", description = "Payload, @file, or - for standard input (the default).")
        String payload;

        @Override
        int run(Host host, Peer me) throws Exception {
            Message m = payload(payload, Headers.EMPTY);
            me.send(to, m, client.timeout()).get(client.timeout().toMillis() + 1000, TimeUnit.MILLISECONDS);
            Map<String, Object> r = new LinkedHashMap<>();
            r.put("sent", m.id().toString());
            r.put("to", to);
            out().println(json(r));
            return ExitCodes.OK;
        }
    }

    @Command(name = "request", mixinStandardHelpOptions = true,
            description = "Send a request to a peer and print its reply as a JSON line.")
    static final class Request extends Base {
        @Option(names = "--to", required = true, description = "Target peer id.")
        String to;

        @Parameters(arity = "0..1", description = "Payload, @file, or - for standard input (the default).")
        String payload;

        @Option(names = "--count", defaultValue = "1", description = "Send the request N times, one after the "
                + "other, printing each reply. Default: ${DEFAULT-VALUE}.")
        int count;

        @Option(names = "--timing", description = "Add each round trip's time to its line (\"ms\"), and print "
                + "min/avg/max on standard error at the end.")
        boolean timing;

        @Override
        int run(Host host, Peer me) throws Exception {
            if (count < 1) {
                throw new IllegalArgumentException("--count: at least 1, was " + count);
            }
            Message request = payload(payload, Headers.EMPTY);
            double min = Double.MAX_VALUE;
            double max = 0;
            double sum = 0;
            for (int i = 0; i < count; i++) {
                long start = System.nanoTime();
                Message reply = me.request(to, request, client.timeout())
                        .get(client.timeout().toMillis() + 1000, TimeUnit.MILLISECONDS);
                double ms = (System.nanoTime() - start) / 1e6;
                min = Math.min(min, ms);
                max = Math.max(max, ms);
                sum += ms;
                Map<String, Object> fields = new LinkedHashMap<>();
                fields.put("from", to);
                if (timing) {
                    fields.put("ms", Math.round(ms * 1000) / 1000.0);
                }
                out().println(Payloads.line(fields, reply));
                out().flush();
            }
            if (timing) {
                System.err.printf(java.util.Locale.ROOT, "%d requests to %s: min %.3f ms, avg %.3f ms, max %.3f ms%n",
                        count, to, min, sum / count, max);
            }
            return ExitCodes.OK;
        }
    }

    @Command(name = "pub", mixinStandardHelpOptions = true, description = "Publish a message on a subject.")
    static final class Pub extends Base {
        @Parameters(index = "0", description = "Subject, like orders.eu.")
        String subject;

        @Parameters(index = "1", arity = "0..1", description = "Payload, @file, or - for standard input.")
        String payload;

        @Override
        int run(Host host, Peer me) throws Exception {
            me.publish(subject, payload(payload, Headers.EMPTY));
            out().println(json(Map.of("published", subject)));
            return ExitCodes.OK;
        }
    }

    @Command(name = "sub", mixinStandardHelpOptions = true,
            description = "Subscribe to a subject pattern and print each message as a JSON line.")
    static final class Sub extends Base {
        @Parameters(index = "0", description = "Subject pattern: tokens, * for one, > for the rest.")
        String subject;

        @Option(names = "--queue", description = "Queue group to join.")
        String queue;

        @Option(names = "--count", defaultValue = "0", description = "Stop after N messages (0: until interrupted).")
        int count;

        @Override
        int run(Host host, Peer me) throws Exception {
            CountDownLatch done = new CountDownLatch(1);
            AtomicInteger seen = new AtomicInteger();
            PrintWriter out = out();
            io.meshbus.bus.PeerListener l = (from, m) -> {
                if (count > 0 && seen.get() >= count) {
                    return;
                }
                Map<String, Object> f = new LinkedHashMap<>();
                f.put("subject", m.header(Headers.CHANNEL));
                f.put("from", from);
                synchronized (out) {
                    out.println(Payloads.line(f, m));
                    out.flush();
                }
                if (count > 0 && seen.incrementAndGet() >= count) {
                    done.countDown();
                }
            };
            (queue == null ? me.subscribe(subject, l) : me.subscribe(subject, queue, l))
                    .get(client.timeout().toMillis(), TimeUnit.MILLISECONDS);
            System.err.println("subscribed to " + subject + (queue == null ? "" : " in group " + queue));
            Runtime.getRuntime().addShutdownHook(new Thread(done::countDown));
            done.await();
            return ExitCodes.OK;
        }
    }

    @Command(name = "find", mixinStandardHelpOptions = true, description = "Print which host has a peer.")
    static final class Find extends Base {
        @Parameters(description = "Peer id.")
        String peer;

        @Override
        int run(Host host, Peer me) throws Exception {
            HostAddress a = host.find(peer).get(client.timeout().toMillis() + 1000, TimeUnit.MILLISECONDS);
            Map<String, Object> r = new LinkedHashMap<>();
            r.put("peer", peer);
            r.put("host", a.hostId());
            r.put("address", a.address() == null ? null : a.address().toString());
            out().println(json(r));
            return ExitCodes.OK;
        }
    }

    @Command(name = "peers", mixinStandardHelpOptions = true,
            description = "List the ids of all peers in the network, one per line, page by page.")
    static final class Peers extends Base {
        @Option(names = "--page-size", defaultValue = "1000", description = "Ids per page. Default: ${DEFAULT-VALUE}.")
        int pageSize;

        @Option(names = "--limit", defaultValue = "0", description = "Stop after N ids (0: all).")
        int limit;

        @Override
        int run(Host host, Peer me) throws Exception {
            String after = null;
            int printed = 0;
            for (;;) {
                List<String> page = host.listPeers(after, pageSize).get(client.timeout().toMillis() + 1000,
                        TimeUnit.MILLISECONDS);
                for (String id : page) {
                    if (id.equals(me.id()) || limit > 0 && printed >= limit) {
                        continue;
                    }
                    out().println(id);
                    printed++;
                }
                if (page.size() < pageSize || limit > 0 && printed >= limit) {
                    return ExitCodes.OK;
                }
                after = page.get(page.size() - 1);
            }
        }
    }
}

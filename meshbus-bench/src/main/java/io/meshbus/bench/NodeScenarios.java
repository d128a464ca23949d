package io.meshbus.bench;

import io.meshbus.codec.ContentType;
import io.meshbus.message.Headers;
import io.meshbus.message.Message;
import io.meshbus.node.Node;
import io.meshbus.node.Registration;
import io.meshbus.node.SendStatus;
import java.io.IOException;
import java.net.URI;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import java.util.stream.Stream;

/**
 * The node as a benchmark contender (default options, default executor, as an application gets it), and the
 * scenarios that measure it against the raw-socket baselines. The child JVM's node listens on 127.0.0.1, port 0; the
 * harness's node is a pure client that dials it.
 */
final class NodeScenarios implements Contender {
    static final Contender NODE = new NodeScenarios();

    private static final Duration LIFECYCLE_TIMEOUT = Duration.ofSeconds(30);

    private NodeScenarios() {
    }

    /** Every scenario, the bus's included, in the order {@code --list} shows them. */
    static List<Scenario> all() {
        return Stream.of(List.of(
                new ThroughputScenario("node-throughput", "one-way messages, counted on delivery to the listener; "
                        + "baseline: a framed stream on a raw socket", NODE, RawSocketBaselines.RAW),
                new RttScenario("node-rtt", "request/echo round trips, one in flight; baseline: the same ping-pong on "
                        + "a raw socket", NODE, RawSocketBaselines.RAW)), BusScenarios.all(), PubSubScenarios.all(),
                RouteScenarios.all(), List.<Scenario>of(new SubjectMatchScenario()), BackplaneScenarios.all())
                .flatMap(List::stream).toList();
    }

    @Override
    public String name() {
        return "node";
    }

    @Override
    public ChildServer sink(int size) throws Exception {
        Node node = start(Node.builder("bench-sink").listen("tcp://127.0.0.1:0").build());
        Counters c = new Counters();
        // One sender, and the node runs a sender's messages one at a time: a single writer, so lazySet suffices.
        Registration r = node.onMessage((from, m) -> {
            if (m.payloadSize() == size) {
                c.delivered.lazySet(c.delivered.get() + 1);
            } else {
                c.malformed.lazySet(c.malformed.get() + 1);
            }
        });
        return c.server(node, r);
    }

    @Override
    public ChildServer echo(int size) throws Exception {
        Node node = start(Node.builder("bench-echo").listen("tcp://127.0.0.1:0").build());
        Counters c = new Counters();
        Registration r = node.onMessage((from, m) -> {
            SendStatus s;
            while ((s = node.send(from, m)) == SendStatus.BACK_PRESSURED) {
                LockSupport.parkNanos(1_000);
            }
            if (!s.accepted()) {
                // The node's own log has no provider here: say it where the harness shows the child's stderr.
                System.err.println("node echo: sending back to " + from + " returned " + s);
            } else if (m.payloadSize() == size) {
                c.delivered.lazySet(c.delivered.get() + 1);
            } else {
                c.malformed.lazySet(c.malformed.get() + 1);
            }
        });
        return c.server(node, r);
    }

    @Override
    public StreamSender streamTo(URI address, int size) throws Exception {
        Node node = start(Node.builder("bench-sender").build());
        String remote = connect(node, address);
        byte[] payload = Contender.payload(size);
        return new StreamSender() {
            /** Refused by the last send; offered again before a new message is made. */
            private Message pending;

            @Override
            public boolean trySend() throws IOException {
                if (pending == null) {
                    pending = Message.ofBytes(Headers.EMPTY, ContentType.BYTES, payload);
                }
                SendStatus s = node.send(remote, pending);
                if (s.accepted()) {
                    pending = null;
                    return true;
                }
                if (s == SendStatus.BACK_PRESSURED) {
                    return false;
                }
                throw new IOException("send to " + remote + " returned " + s);
            }

            @Override
            public void flush() {
                // The node writes what it accepted on its own; nothing waits on this side.
            }

            @Override
            public void close() throws IOException {
                stop(node);
            }
        };
    }

    @Override
    public Pinger pingerTo(URI address, int size) throws Exception {
        Node node = start(Node.builder("bench-pinger").build());
        EchoHandoff echoes = new EchoHandoff();
        Registration r = node.onMessage((from, m) -> echoes.deliver(m));
        String remote = connect(node, address);
        byte[] payload = Contender.payload(size);
        return new Pinger() {
            private long sent;

            @Override
            public void roundTrip() throws IOException, InterruptedException {
                Message m = Message.ofBytes(Headers.EMPTY, ContentType.BYTES, payload);
                SendStatus s = node.send(remote, m);
                if (!s.accepted()) {
                    throw new IOException("send to " + remote + " returned " + s);
                }
                Message echo = echoes.await(++sent);
                if (!echo.id().equals(m.id())) {
                    throw new IOException("round trip " + sent + ": the echo is of message " + echo.id()
                            + ", not of " + m.id());
                }
            }

            @Override
            public void close() throws IOException {
                echoes.close();
                r.close();
                stop(node);
            }
        };
    }

    private static Node start(Node node) throws Exception {
        return node.start().get(LIFECYCLE_TIMEOUT.toSeconds(), TimeUnit.SECONDS);
    }

    private static String connect(Node node, URI address) throws Exception {
        try {
            return node.connect(address).get(LIFECYCLE_TIMEOUT.toSeconds(), TimeUnit.SECONDS);
        } catch (Exception e) {
            stop(node);
            throw e;
        }
    }

    private static void stop(Node node) throws IOException {
        try {
            node.close().get(LIFECYCLE_TIMEOUT.toSeconds(), TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted while closing node " + node.id(), e);
        } catch (ExecutionException | TimeoutException e) {
            throw new IOException("closing node " + node.id() + " failed: " + e, e);
        }
    }

    /** What a child node counted, and the server that reports it. */
    private static final class Counters {
        final AtomicLong delivered = new AtomicLong();
        final AtomicLong malformed = new AtomicLong();

        ChildServer server(Node node, Registration registration) {
            return new ChildServer() {
                @Override
                public URI address() {
                    return node.info();
                }

                @Override
                public long delivered() {
                    return delivered.get();
                }

                @Override
                public long malformed() {
                    return malformed.get();
                }

                @Override
                public void close() throws IOException {
                    registration.close();
                    stop(node);
                }
            };
        }
    }

    /**
     * Hands each echo from the node's listener thread to the waiting pinger without a lock: the pinger spins a few
     * hundred nanoseconds (on a small machine the node's own threads need the cores more), then parks; the listener
     * unparks it only when it is parked.
     */
    private static final class EchoHandoff {
        private static final int SPINS = 100;
        /** How often a parked pinger looks whether it was closed. */
        private static final long RECHECK_NANOS = TimeUnit.MILLISECONDS.toNanos(100);

        /** Echoes arrived; written by listener calls, which the node makes one at a time for one sender. */
        private volatile long arrived;
        private volatile Thread parked;
        private volatile boolean closed;
        /** The latest echo; published by the write of {@link #arrived} that follows it. */
        private Message last;

        void deliver(Message m) {
            last = m;
            arrived = arrived + 1;
            Thread t = parked;
            if (t != null) {
                LockSupport.unpark(t);
            }
        }

        /** Waits until {@code n} echoes have arrived and returns the latest. */
        Message await(long n) throws IOException, InterruptedException {
            for (int i = 0; i < SPINS && arrived < n; i++) {
                Thread.onSpinWait();
            }
            if (arrived < n) {
                // Announce the park before the last look at arrived: deliver() writes arrived before it reads
                // parked, so one of the two sides always sees the other.
                parked = Thread.currentThread();
                try {
                    while (arrived < n) {
                        if (closed) {
                            throw new IOException("closed while waiting for echo " + n);
                        }
                        if (Thread.interrupted()) {
                            throw new InterruptedException();
                        }
                        LockSupport.parkNanos(this, RECHECK_NANOS);
                    }
                } finally {
                    parked = null;
                }
            }
            return last;
        }

        void close() {
            closed = true;
            Thread t = parked;
            if (t != null) {
                LockSupport.unpark(t);
            }
        }
    }
}

package io.meshbus.bench;

import io.meshbus.codec.ContentType;
import io.meshbus.message.Headers;
import io.meshbus.message.Message;
import io.meshbus.node.Node;
import io.meshbus.node.Registration;
import io.meshbus.node.SendStatus;
import java.io.IOException;
import java.net.URI;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;

/**
 * The node as a benchmark contender (default options, default executor, as an application gets it; or, as
 * {@code node-fast}, with listeners on the I/O thread at both ends). The child JVM's node listens on 127.0.0.1, port
 * 0; the harness's node is a pure client that dials it.
 */
public final class NodeContender extends TwoJvmContender {
    public static final NodeContender NODE = new NodeContender("node", false);
    public static final NodeContender NODE_FAST = new NodeContender("node-fast", true);

    private final boolean fast;

    private NodeContender(String name, boolean fast) {
        super(name);
        this.fast = fast;
    }

    private io.meshbus.node.NodeOptions.Builder builder(String id) {
        return Node.builder(id).deliverOnIoThread(fast);
    }

    @Override
    public ChildServer sink(int size) throws Exception {
        Node node = Waits.await(builder("bench-sink").listen("tcp://127.0.0.1:0").build().start());
        Tally t = new Tally(size);
        // One sender, and the node runs a sender's messages one at a time: the tally's single writer.
        Registration r = node.onMessage((from, m) -> t.count(m.payloadSize()));
        return t.server(node::info, () -> {
            r.close();
            Waits.close(node);
        });
    }

    @Override
    public ChildServer echo(int size) throws Exception {
        Node node = Waits.await(builder("bench-echo").listen("tcp://127.0.0.1:0").build().start());
        Tally t = new Tally(size);
        Registration r = node.onMessage((from, m) -> {
            SendStatus s;
            while ((s = node.send(from, m)) == SendStatus.BACK_PRESSURED) {
                LockSupport.parkNanos(1_000);
            }
            if (s.accepted()) {
                t.count(m.payloadSize());
            } else {
                // The node's own log has no provider here: say it where the harness shows the child's stderr.
                System.err.println("node echo: sending back to " + from + " returned " + s);
            }
        });
        return t.server(node::info, () -> {
            r.close();
            Waits.close(node);
        });
    }

    @Override
    public StreamSender streamTo(URI address, int size) throws Exception {
        Node node = Waits.await(builder("bench-sender").build().start());
        String remote = connect(node, address);
        return new RetryingSender(remote, size, m -> node.send(remote, m), () -> Waits.close(node));
    }

    @Override
    public Pinger pingerTo(URI address, int size) throws Exception {
        Node node = Waits.await(builder("bench-pinger").build().start());
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
                Waits.close(node);
            }
        };
    }

    private static String connect(Node node, URI address) throws Exception {
        try {
            return Waits.await(node.connect(address));
        } catch (Exception e) {
            Waits.close(node);
            throw e;
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

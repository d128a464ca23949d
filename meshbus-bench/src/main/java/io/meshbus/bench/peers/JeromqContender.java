package io.meshbus.bench.peers;

import io.meshbus.bench.Contender;
import io.meshbus.bench.Tally;
import io.meshbus.bench.Waits;
import java.io.IOException;
import java.net.URI;
import java.util.Locale;
import java.util.concurrent.atomic.AtomicBoolean;
import org.zeromq.SocketType;
import org.zeromq.ZContext;
import org.zeromq.ZMQ;

/**
 * JeroMQ (pure-Java ZeroMQ) with its defaults, as a peer: REQ/REP for the round trip, PUSH/PULL for one-way
 * messages, over tcp on 127.0.0.1. The child binds to a random port; the harness connects. PUSH's own high-water mark
 * (1,000 messages) is the back-pressure: a send that would block is refused and offered again.
 *
 * <p>Threads: a ZeroMQ socket belongs to one thread. The child's socket lives on its serving thread; the harness's
 * on the thread that made it (the loop's), so a close from any other thread (the latency loop's watchdog) only
 * marks the socket closed, and the waiting round trip sees that within {@link #POLL_MS} and throws.
 */
final class JeromqContender extends PeerContender {
    static final JeromqContender JEROMQ = new JeromqContender();

    /** How often a blocked receive looks whether it should stop. */
    private static final int POLL_MS = 100;

    private JeromqContender() {
        super("jeromq");
    }

    /** A socket bound on 127.0.0.1, served on a thread of its own: REP echoes, PULL counts. */
    @Override
    ChildServer serve(int size, boolean echo) {
        SocketType type = echo ? SocketType.REP : SocketType.PULL;
        ZContext context = new ZContext();
        ZMQ.Socket socket = context.createSocket(type);
        socket.setReceiveTimeOut(POLL_MS);
        int port = socket.bindToRandomPort("tcp://127.0.0.1");
        Tally tally = new Tally(size);
        AtomicBoolean closing = new AtomicBoolean();
        Thread t = Waits.daemon(() -> {
            while (!closing.get()) {
                byte[] m = socket.recv();
                if (m == null) {
                    continue;
                }
                if (type == SocketType.REP && !socket.send(m)) {
                    System.err.println("jeromq echo: the reply was not sent");
                }
                tally.count(m.length);
            }
            context.close();
        }, "jeromq-" + type.name().toLowerCase(Locale.ROOT));
        return tally.server(() -> URI.create("tcp://127.0.0.1:" + port), () -> {
            closing.set(true);
            try {
                Waits.join(t, Waits.LIFECYCLE);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        });
    }

    @Override
    public Pinger pingerTo(URI address, int size) {
        return new Requester(address, size);
    }

    @Override
    public StreamSender streamTo(URI address, int size) {
        return new Pusher(address, size);
    }

    /** REQ: one request, then its reply. */
    private static final class Requester extends Owned implements Pinger {
        Requester(URI address, int size) {
            super(SocketType.REQ, address, size);
        }

        @Override
        public void roundTrip() throws IOException {
            if (!socket.send(payload)) {
                throw new IOException("jeromq: the request was not sent");
            }
            byte[] reply;
            while ((reply = socket.recv()) == null) {
                throwIfClosed();
            }
            if (reply.length != payload.length) {
                throw new IOException("jeromq: a reply of " + reply.length + " bytes to " + payload.length);
            }
        }
    }

    /** PUSH: a send that would block at the high-water mark is refused, and offered again. */
    private static final class Pusher extends Owned implements StreamSender {
        Pusher(URI address, int size) {
            super(SocketType.PUSH, address, size);
        }

        @Override
        public boolean trySend() throws IOException {
            throwIfClosed();
            return socket.send(payload, ZMQ.DONTWAIT);
        }

        @Override
        public void flush() {
            // ZeroMQ's I/O thread writes what the socket took; the drain waits for it to arrive.
        }
    }

    /** The harness's socket, the thread it belongs to, and the payload it sends. */
    private abstract static class Owned implements AutoCloseable {
        final ZContext context = new ZContext();
        final ZMQ.Socket socket;
        final byte[] payload;
        final Thread owner = Thread.currentThread();
        volatile boolean closed;

        Owned(SocketType type, URI address, int size) {
            payload = Contender.payload(size);
            socket = context.createSocket(type);
            socket.setReceiveTimeOut(POLL_MS);
            socket.connect("tcp://" + address.getHost() + ":" + address.getPort());
        }

        void throwIfClosed() throws IOException {
            if (closed) {
                throw new IOException("jeromq: closed");
            }
        }

        /** Marks the socket closed; only its own thread closes it for good. */
        @Override
        public void close() {
            closed = true;
            if (Thread.currentThread() == owner) {
                context.close();
            }
        }
    }
}

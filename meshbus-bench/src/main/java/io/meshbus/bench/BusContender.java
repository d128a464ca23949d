package io.meshbus.bench;

import io.meshbus.bus.Host;
import io.meshbus.bus.Peer;
import io.meshbus.codec.ContentType;
import io.meshbus.message.Headers;
import io.meshbus.message.Message;
import io.meshbus.node.Registration;
import java.io.IOException;
import java.io.InterruptedIOException;
import java.net.URI;
import java.time.Duration;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;

/**
 * The bus as a benchmark contender (default host options, as an application gets them): one host per JVM, each
 * listening on 127.0.0.1 port 0; the harness's host joins the child's, and a peer on each talks to the other. Two
 * ways of streaming, {@code bus} (fire and forget) and {@code bus-confirmed} / {@code bus-at-least-once} (confirmed
 * or at-least-once sends, a bounded number unacknowledged), which share the child side.
 */
public final class BusContender extends TwoJvmContender {
    public static final BusContender BUS = new BusContender(false, false, false);
    public static final BusContender BUS_CONFIRMED = new BusContender(true, false, false);
    public static final BusContender BUS_AT_LEAST_ONCE = new BusContender(true, true, false);
    /** Fire-and-forget and requests with both hosts on the fast path (deliverOnIoThread). */
    public static final BusContender BUS_FAST = new BusContender(false, false, true);

    /** The child's peer, which the harness's peer addresses. */
    static final String TARGET = "bench-target";
    /**
     * Sends {@code bus-confirmed} allows unconfirmed at once; {@code -Dmeshbus.bench.inflight} shows how the rate
     * depends on it (it is bound by confirmation latency: window / rate is the time to a confirmation under load).
     */
    static final int IN_FLIGHT = Integer.getInteger("meshbus.bench.inflight", 1000);

    private static final String SOURCE = "bench-source";
    /** Far above any healthy round trip; the latency loop's own watchdog gives up much sooner. */
    private static final Duration REQUEST_TIMEOUT = Duration.ofSeconds(30);

    private final boolean confirmed;
    private final boolean atLeastOnce;

    private final boolean fast;

    private BusContender(boolean confirmed, boolean atLeastOnce, boolean fast) {
        super(atLeastOnce ? "bus-at-least-once" : confirmed ? "bus-confirmed" : fast ? "bus-fast" : "bus");
        this.confirmed = confirmed;
        this.atLeastOnce = atLeastOnce;
        this.fast = fast;
    }

    @Override
    public ChildServer sink(int size) throws Exception {
        Host host = start("bench-child");
        Tally t = new Tally(size);
        Registration r = host.create(TARGET).onMessage((from, m) -> t.count(m.payloadSize()));
        return server(host, r, t);
    }

    @Override
    public ChildServer echo(int size) throws Exception {
        Host host = start("bench-child");
        Peer peer = host.create(TARGET);
        Tally t = new Tally(size);
        Registration r = peer.onMessage((from, m) -> {
            if (m.header(Headers.CORRELATION_ID) == null) {
                t.count(-1);
                return;
            }
            // The request's id and bytes go back without a copy: the pinger checks the reply is its request's.
            peer.reply(m, Message.adopt(m.id(), Headers.EMPTY, m.contentType(), m.unsafePayloadArray()))
                    .whenComplete((v, e) -> {
                        if (e != null) {
                            System.err.println("bus echo: the reply to " + from + " failed: " + e);
                        }
                    });
            t.count(m.payloadSize());
        });
        return server(host, r, t);
    }

    @Override
    public StreamSender streamTo(URI address, int size) throws Exception {
        Host host = start("bench-harness");
        Peer peer = joinWithPeer(host, address);
        if (confirmed) {
            return new ConfirmedSender(host, peer, Contender.payload(size), atLeastOnce);
        }
        return new RetryingSender(TARGET, size, m -> peer.sendAndForget(TARGET, m), () -> stop(host));
    }

    @Override
    public Pinger pingerTo(URI address, int size) throws Exception {
        Host host = start("bench-harness");
        Peer peer = joinWithPeer(host, address);
        byte[] payload = Contender.payload(size);
        return new Pinger() {
            @Override
            public void roundTrip() throws IOException, InterruptedException {
                Message m = Message.ofBytes(Headers.EMPTY, ContentType.BYTES, payload);
                Message reply;
                try {
                    reply = peer.request(TARGET, m, REQUEST_TIMEOUT).get();
                } catch (ExecutionException e) {
                    throw new IOException("request to " + TARGET + " failed: " + e.getCause(), e.getCause());
                }
                if (!reply.id().equals(m.id()) || reply.payloadSize() != payload.length) {
                    throw new IOException("the reply " + reply + " is not the echo of request " + m.id());
                }
            }

            @Override
            public void close() throws IOException {
                stop(host);
            }
        };
    }

    private Host start(String id) throws Exception {
        return Waits.await(Host.builder().id(id).listen("tcp://127.0.0.1:0").deliverOnIoThread(fast).build()
                .start());
    }

    private static ChildServer server(Host host, Registration r, Tally t) {
        return t.server(host::info, () -> {
            r.close();
            stop(host);
        });
    }

    /**
     * Joins the child's host, creates the harness's peer, and looks the target up before the first message: the
     * first send to an unknown peer waits for that lookup, which is not what the scenarios measure.
     */
    private static Peer joinWithPeer(Host host, URI address) throws Exception {
        try {
            Waits.await(host.join(address.toString()));
            Peer peer = host.create(SOURCE);
            Waits.await(host.find(TARGET));
            return peer;
        } catch (Exception e) {
            stop(host);
            throw e;
        }
    }

    private static void stop(Host host) throws IOException {
        Waits.closed(host.close(), "host " + host.id());
    }

    /**
     * Confirmed sends, at most {@link #IN_FLIGHT} unconfirmed: a full window refuses the next message as the node's
     * back-pressure does, so the send loop backs off the same way. The first failed send fails the run.
     */
    private static final class ConfirmedSender implements StreamSender {
        private final Host host;
        private final Peer peer;
        private final byte[] payload;
        private final Semaphore window = new Semaphore(IN_FLIGHT);
        private final AtomicLong confirmations = new AtomicLong();
        private final AtomicReference<Throwable> failure = new AtomicReference<>();

        private final boolean atLeastOnce;

        ConfirmedSender(Host host, Peer peer, byte[] payload, boolean atLeastOnce) {
            this.host = host;
            this.peer = peer;
            this.payload = payload;
            this.atLeastOnce = atLeastOnce;
        }

        @Override
        public boolean trySend() throws IOException {
            throwIfFailed();
            if (!window.tryAcquire()) {
                return false;
            }
            Message m = Message.ofBytes(Headers.EMPTY, ContentType.BYTES, payload);
            (atLeastOnce ? peer.sendAtLeastOnce(TARGET, m) : peer.send(TARGET, m)).whenComplete((v, e) -> {
                if (e == null) {
                    confirmations.incrementAndGet();
                } else {
                    failure.compareAndSet(null, e);
                }
                window.release();
            });
            return true;
        }

        /** Waits until every send is confirmed (or failed): only then does the sink's count have to match. */
        @Override
        public void flush() throws IOException {
            try {
                if (!window.tryAcquire(IN_FLIGHT, Waits.LIFECYCLE.toSeconds(), TimeUnit.SECONDS)) {
                    throw new IOException((IN_FLIGHT - window.availablePermits()) + " sends still unconfirmed "
                            + Waits.LIFECYCLE.toSeconds() + " s after the sender stopped");
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new InterruptedIOException("interrupted while waiting for confirmations");
            }
            window.release(IN_FLIGHT);
            throwIfFailed();
        }

        @Override
        public long confirmed() {
            return confirmations.get();
        }

        @Override
        public void close() throws IOException {
            stop(host);
        }

        private void throwIfFailed() throws IOException {
            Throwable t = failure.get();
            if (t != null) {
                throw new IOException("a confirmed send to " + TARGET + " failed: " + t, t);
            }
        }
    }
}

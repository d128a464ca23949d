package io.meshbus.bench.hostile;

import io.meshbus.wire.Protocol;
import java.io.IOException;
import java.io.OutputStream;
import java.net.Socket;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Connections to the tcp listener that, before any handshake, announce a frame of the largest size a node accepts
 * (a HELLO of 4 MiB) and send all of it but its last {@link #UNSENT} bytes, then nothing, several at once. A host that
 * buffers an unauthenticated frame up to its size holds 4 MiB per connection; one that bounds what comes before the
 * handshake closes the connection after the length prefix. Either way the handshake deadline must close them.
 */
final class OversizedFrames implements Attack {
    static final int UNSENT = 64 * 1024;
    private static final int CHUNK = 64 * 1024;
    private static final int THREADS = 8;
    private static final Duration SENDING = Duration.ofSeconds(60);
    /** The node's handshake deadline (5 s) and a margin. */
    private static final Duration BOUND = Duration.ofSeconds(20);

    private final int count;

    OversizedFrames(int count) {
        this.count = count;
    }

    @Override
    public String name() {
        return "big-frames";
    }

    @Override
    public Outcome run(Target target) throws Exception {
        int length = Protocol.DEFAULT_MAX_FRAME_SIZE;
        byte[] head = {(byte) (length >>> 24), (byte) (length >>> 16), (byte) (length >>> 8), (byte) length,
            Protocol.HELLO};
        byte[] chunk = new byte[CHUNK];
        List<Socket> held = Collections.synchronizedList(new ArrayList<>(count));
        AtomicInteger whole = new AtomicInteger();
        AtomicInteger cut = new AtomicInteger();
        Outcome outcome = new Outcome();
        try {
            int failed = Sockets.inParallel(count, THREADS, SENDING, i -> {
                Socket s = Sockets.open(target.tcp());
                held.add(s);
                try {
                    OutputStream out = s.getOutputStream();
                    out.write(head);
                    for (int sent = 1; sent < length - UNSENT; sent += CHUNK) {
                        out.write(chunk, 0, Math.min(CHUNK, length - UNSENT - sent));
                    }
                    out.flush();
                    whole.incrementAndGet();
                } catch (IOException closedByHost) {
                    cut.incrementAndGet();
                }
            });
            outcome.connectsFailed(failed, count);
        } catch (TimeoutException e) {
            // The host stopped reading and did not close: the writers block until their sockets are closed below.
            outcome.warn("sending did not end: " + e.getMessage());
            Sockets.closeAll(held);
        }
        List<Socket> open = List.copyOf(held);
        try {
            outcome.closed(Sockets.awaitClosedByHost(open, BOUND), BOUND);
        } finally {
            Sockets.closeAll(open);
        }
        outcome.seen("sent-whole", whole.get(), "connections").seen("cut-while-sending", cut.get(), "connections");
        if (whole.get() > 0) {
            outcome.warn(whole.get() + " of " + count + " connections got " + (length - UNSENT) / 1024
                    + " KiB of one frame accepted before any handshake");
        }
        return outcome;
    }
}

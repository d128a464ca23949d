package io.meshbus.bench;

import io.meshbus.bench.TwoJvmContender.ChildServer;
import java.net.URI;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Supplier;

/**
 * What a receiving end counted: messages of the expected size, and the others.
 *
 * <p>Threads: one writer ({@link #count}: a socket's reader thread, or a listener the transport calls one message at
 * a time), so a lazySet publishes without the cost of an atomic add; read from any thread.
 */
public final class Tally {
    private final int size;
    private final AtomicLong delivered = new AtomicLong();
    private final AtomicLong malformed = new AtomicLong();

    /** A tally of {@code size}-byte messages. */
    public Tally(int size) {
        this.size = size;
    }

    /** Counts one message of {@code length} bytes. */
    public void count(int length) {
        AtomicLong c = length == size ? delivered : malformed;
        c.lazySet(c.get() + 1);
    }

    public long delivered() {
        return delivered.get();
    }

    public long malformed() {
        return malformed.get();
    }

    /** A child server reporting this tally. */
    public ChildServer server(Supplier<URI> address, TwoJvmContender.Closer closer) {
        return new ChildServer(address, this::delivered, this::malformed, closer);
    }
}

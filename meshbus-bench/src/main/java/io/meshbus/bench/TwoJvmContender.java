package io.meshbus.bench;

import java.io.IOException;
import java.net.URI;
import java.time.Duration;
import java.util.function.LongSupplier;
import java.util.function.Supplier;

/**
 * A contender whose receiving end runs in a child JVM ({@link BenchChild}, started by {@link ChildProcess}) and
 * whose sending end runs here. A subclass says only what is its own: the child side ({@link #sink}, {@link #echo})
 * and the harness side ({@link #streamTo}, {@link #pingerTo}, {@link #pipelineTo}); what it does not offer keeps
 * the default, which refuses. Starting the child, waiting for its address, asking it for its counts and ending it
 * are done here, once for every contender.
 */
public abstract class TwoJvmContender implements Contender {
    /**
     * The child's last resort should this JVM hang without dying (a dead harness closes the child's stdin, which
     * ends it at once); far beyond any run of the loops, whose own waits are bounded.
     */
    private static final Duration CHILD_LIFETIME = Duration.ofMinutes(30);
    private static final Duration STARTUP = Duration.ofSeconds(60);
    private static final Duration REPLY = Duration.ofSeconds(30);

    private final String name;
    private final boolean lossy;

    /** A contender whose messages arrive unless something says otherwise. */
    protected TwoJvmContender(String name) {
        this(name, false);
    }

    /**
     * @param name  the contender's name, which also picks it in the child JVM ({@link Catalog})
     * @param lossy whether the stream's messages may be lost on the way without a word; see {@link Stream#lossy()}
     */
    protected TwoJvmContender(String name, boolean lossy) {
        this.name = name;
        this.lossy = lossy;
    }

    @Override
    public final String name() {
        return name;
    }

    /** Child side: accepts one stream and counts the messages it receives. */
    public ChildServer sink(int size) throws Exception {
        throw new UnsupportedOperationException(name() + " has no sink");
    }

    /** Child side: sends every message it receives straight back to its sender. */
    public ChildServer echo(int size) throws Exception {
        throw new UnsupportedOperationException(name() + " has no echo");
    }

    /** Harness side: a one-way stream to a {@link #sink}. */
    public StreamSender streamTo(URI address, int size) throws Exception {
        throw new UnsupportedOperationException(name() + " has no sink");
    }

    /** Harness side: request/echo against an {@link #echo}. */
    public Pinger pingerTo(URI address, int size) throws Exception {
        throw new UnsupportedOperationException(name() + " has no echo");
    }

    /** Harness side: keeps {@code inFlight} requests outstanding against an {@link #echo} until stopped. */
    public Pipeline pipelineTo(URI address, int size, int inFlight) throws Exception {
        throw new UnsupportedOperationException(name() + " has no pipelined requests");
    }

    @Override
    public final Stream openStream(int size) throws Exception {
        return withChild("sink", size, (child, address) -> {
            StreamSender sender = streamTo(address, size);
            return new Stream() {
                @Override
                public StreamSender sender() {
                    return sender;
                }

                @Override
                public Received received() throws IOException {
                    return counts(child);
                }

                @Override
                public boolean lossy() {
                    return lossy;
                }

                @Override
                public void close() throws IOException {
                    try {
                        sender.close();
                    } finally {
                        child.close();
                    }
                }
            };
        });
    }

    @Override
    public final Echo openEcho(int size) throws Exception {
        return withChild("echo", size, (child, address) -> new Echo() {
            @Override
            public Pinger pinger() throws Exception {
                return pingerTo(address, size);
            }

            @Override
            public Pipeline pipeline(int inFlight) throws Exception {
                return pipelineTo(address, size, inFlight);
            }

            @Override
            public void close() {
                child.close();
            }
        });
    }

    /** What is made of a started child and its address; the child is ended when making it fails. */
    @FunctionalInterface
    private interface WithChild<T> {
        T make(ChildProcess child, URI address) throws Exception;
    }

    private <T> T withChild(String role, int size, WithChild<T> make) throws Exception {
        ChildProcess child = ChildProcess.start(name, role, size, CHILD_LIFETIME);
        try {
            return make.make(child, URI.create(child.await("READY", STARTUP)[0]));
        } catch (Exception e) {
            child.close();
            throw e;
        }
    }

    private static Received counts(ChildProcess child) throws IOException {
        child.send("COUNT");
        try {
            String[] w = child.await("COUNT", REPLY);
            return new Received(Long.parseLong(w[0]), Long.parseLong(w[1]));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted while asking the child for its count", e);
        } catch (java.util.concurrent.TimeoutException e) {
            throw new IOException(e.getMessage(), e);
        }
    }

    /**
     * The server running in the child JVM: where the harness connects, what it counted (messages of the expected
     * size, and the others, never counted as delivered; both safe from any thread), and how it closes.
     */
    public record ChildServer(Supplier<URI> address, LongSupplier delivered, LongSupplier malformed, Closer closer)
            implements AutoCloseable {
        @Override
        public void close() throws IOException {
            closer.close();
        }
    }

    /** Closes what a child server holds. */
    @FunctionalInterface
    public interface Closer {
        void close() throws IOException;
    }
}

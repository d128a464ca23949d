package io.meshbus.bench;

import io.meshbus.bus.Host;
import io.meshbus.node.Node;
import java.io.IOException;
import java.io.InterruptedIOException;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.BooleanSupplier;

/**
 * Every wait of the harness has a bound: a benchmark that hangs measures nothing and holds the machine. These are the
 * bounded waits the scenarios share, so a failure reads the same wherever it happens.
 */
public final class Waits {
    /** Starting, joining and closing a node, host, server or client: far above what a healthy one takes. */
    public static final Duration LIFECYCLE = Duration.ofSeconds(30);

    private Waits() {
    }

    /** The future's value; its failure's cause is thrown as is, so the message names what failed. */
    public static <T> T await(CompletableFuture<T> f, Duration timeout) throws Exception {
        try {
            return f.get(timeout.toMillis(), TimeUnit.MILLISECONDS);
        } catch (ExecutionException e) {
            throw e.getCause() instanceof Exception cause ? cause : e;
        }
    }

    /** {@link #await} within {@link #LIFECYCLE}. */
    public static <T> T await(CompletableFuture<T> f) throws Exception {
        return await(f, LIFECYCLE);
    }

    /** Polls {@code condition} every 10 ms until it holds (true) or {@code timeout} passed (false). */
    public static boolean waitFor(BooleanSupplier condition, Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() - deadline > 0) {
                return false;
            }
            Thread.sleep(10);
        }
        return true;
    }

    /** As {@link #waitFor}, but a condition that never holds fails with {@code what} in the message. */
    public static void require(BooleanSupplier condition, Duration timeout, String what) throws Exception {
        if (!waitFor(condition, timeout)) {
            throw new TimeoutException("waited " + timeout.toSeconds() + " s for " + what);
        }
    }

    /** Waits for a close to complete, as an IOException naming {@code what} when it does not. */
    public static void closed(CompletableFuture<?> closing, String what) throws IOException {
        try {
            closing.get(LIFECYCLE.toSeconds(), TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new InterruptedIOException("interrupted while closing " + what);
        } catch (ExecutionException | TimeoutException e) {
            throw new IOException("closing " + what + " failed: " + e, e);
        }
    }

    /** Closes a node and waits for it. */
    public static void close(Node node) throws IOException {
        closed(node.close(), "node " + node.id());
    }

    /** Closes the hosts all at once and waits for every one. */
    public static void close(List<Host> hosts) throws IOException {
        closed(CompletableFuture.allOf(hosts.stream().map(Host::close).toArray(CompletableFuture[]::new)),
                "hosts " + hosts.stream().map(Host::id).toList());
    }

    /** A started daemon thread: a harness thread must never keep the JVM alive after a failed run. */
    public static Thread daemon(Runnable r, String name) {
        Thread t = new Thread(r, name);
        t.setDaemon(true);
        t.start();
        return t;
    }

    /** Joins {@code t} for at most {@code timeout}; true when it ended. */
    public static boolean join(Thread t, Duration timeout) throws InterruptedException {
        t.join(timeout.toMillis());
        return !t.isAlive();
    }

    /** The failure inside completion and execution wrappers. */
    public static Throwable unwrap(Throwable t) {
        while ((t instanceof CompletionException || t instanceof ExecutionException) && t.getCause() != null) {
            t = t.getCause();
        }
        return t;
    }
}

package io.meshbus.bench;

import java.io.IOException;
import java.time.Duration;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;

/**
 * What every pipeline shares: the replies counted, the stop asked for, the first failure kept for {@link #stop}. A
 * subclass keeps its requests outstanding, calls {@link #replied} or {@link #failed}, looks at {@link #stopping}
 * before issuing the next, and says how to wait for the last ones.
 *
 * <p>Threads: {@link #replied} and {@link #failed} from the transport's threads; the rest from the loop's.
 */
public abstract class CountingPipeline implements Contender.Pipeline {
    private final String name;
    private final AtomicLong completed = new AtomicLong();
    private final AtomicReference<Throwable> failure = new AtomicReference<>();
    private volatile boolean stopping;

    protected CountingPipeline(String name) {
        this.name = name;
    }

    /** One reply arrived and was the echo of its request. */
    protected final void replied() {
        completed.incrementAndGet();
    }

    /** A request failed; the first failure ends the pipeline and is thrown by {@link #stop}. */
    protected final void failed(Throwable t) {
        failure.compareAndSet(null, t);
    }

    /** Whether no further request should be issued. */
    protected final boolean stopping() {
        return stopping || failure.get() != null;
    }

    /** Waits until no request is outstanding any more; false when {@code timeout} passed first. */
    protected abstract boolean awaitOutstanding(Duration timeout) throws InterruptedException;

    @Override
    public final long completed() {
        return completed.get();
    }

    @Override
    public final void stop(Duration timeout) throws IOException, InterruptedException, TimeoutException {
        stopping = true;
        if (!awaitOutstanding(timeout)) {
            throw new TimeoutException(name + ": replies still missing " + timeout.toSeconds()
                    + " s after it stopped");
        }
        Throwable t = failure.get();
        if (t != null) {
            throw t instanceof IOException io ? io : new IOException(t);
        }
    }
}

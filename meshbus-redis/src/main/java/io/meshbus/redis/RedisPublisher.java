package io.meshbus.redis;

import io.lettuce.core.api.StatefulRedisConnection;
import io.meshbus.node.SendStatus;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.BiConsumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A backplane's PUBLISHes (to inboxes and channels) on one connection, so each pair of hosts stays in order. Commands
 * are not flushed one by one: one flusher writes everything buffered so far in one go (one write for many commands,
 * and their replies are read sooner). At most {@link InFlight#max()} publishes wait for Redis; past that a send
 * answers {@link SendStatus#BACK_PRESSURED} at once.
 *
 * <p>Threads: {@link #publish} from any thread; the flusher is its own single thread.
 */
final class RedisPublisher {
    private static final Logger LOG = LoggerFactory.getLogger(RedisPublisher.class);

    private final StatefulRedisConnection<byte[], byte[]> connection;
    private final InFlight inFlight;
    private final ExecutorService flusher;
    private final LongAdder failures = new LongAdder();
    private final AtomicBoolean flushScheduled = new AtomicBoolean();
    private final Runnable flush = this::flushBuffered;
    private final BiConsumer<Long, Throwable> onPublished;

    /**
     * @param connection one whose auto-flush this publisher turns off
     * @param published  counts publishes Redis took
     */
    RedisPublisher(StatefulRedisConnection<byte[], byte[]> connection, int maxInFlight, ExecutorService flusher,
                   LongAdder published) {
        this.connection = connection;
        this.inFlight = new InFlight(maxInFlight);
        this.flusher = flusher;
        this.onPublished = (n, e) -> {
            inFlight.release();
            if (e != null) {
                failures.increment();
                LOG.debug("redis backplane publish failed: {}", e.toString());
            } else {
                published.increment();
            }
        };
        connection.setAutoFlushCommands(false);
    }

    SendStatus publish(byte[] channel, byte[] record) {
        if (!connection.isOpen()) {
            return SendStatus.NOT_CONNECTED;
        }
        if (!inFlight.tryAcquire()) {
            return SendStatus.BACK_PRESSURED;
        }
        connection.async().publish(channel, record).whenComplete(onPublished);
        if (flushScheduled.compareAndSet(false, true)) {
            try {
                flusher.execute(flush);
            } catch (RejectedExecutionException closing) {
                connection.flushCommands(); // closed meanwhile: write it here rather than leave it buffered
            }
        }
        return SendStatus.QUEUED;
    }

    /**
     * Writes every publish buffered so far. Cleared before flushing: a publish buffered after the flush began
     * schedules the next one, so none is left behind.
     */
    private void flushBuffered() {
        flushScheduled.set(false);
        connection.flushCommands();
    }

    /** Writes what is buffered now (the host's last words go out before its goodbye) and stops the flusher. */
    void close() {
        connection.flushCommands();
        flusher.shutdown();
    }

    long failures() {
        return failures.sum();
    }

    int inFlight() {
        return inFlight.size();
    }
}

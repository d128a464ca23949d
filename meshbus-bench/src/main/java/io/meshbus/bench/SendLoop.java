package io.meshbus.bench;

import io.meshbus.bench.Contender.StreamSender;
import java.io.IOException;
import java.time.Duration;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.locks.LockSupport;

/**
 * Sends flat out on a thread of its own until stopped, backing off while the transport pushes back.
 *
 * <p>Threads: {@link #run} on the loop's thread, the only one calling the sender; {@link #stopAndJoin} from the
 * measuring thread, after which the counts are visible to it (the join orders them).
 */
final class SendLoop implements Runnable {
    private static final Duration STOP = Duration.ofSeconds(10);

    private final String name;
    private final StreamSender sender;
    private final Thread thread;
    private volatile boolean stop;
    private long accepted;
    private long refused;
    private Throwable failure;

    private SendLoop(String name, StreamSender sender) {
        this.name = name;
        this.sender = sender;
        this.thread = new Thread(this, name + "-sender");
        thread.setDaemon(true);
    }

    /** A running loop sending to {@code sender}. */
    static SendLoop start(String name, StreamSender sender) {
        SendLoop loop = new SendLoop(name, sender);
        loop.thread.start();
        return loop;
    }

    @Override
    public void run() {
        try {
            int refusals = 0;
            while (!stop) {
                if (sender.trySend()) {
                    accepted++;
                    refusals = 0;
                } else {
                    refused++;
                    backOff(++refusals);
                }
            }
        } catch (Throwable t) {
            failure = t;
        }
    }

    /** Stops sending and waits for the thread; throws when it would not stop or had failed. */
    void stopAndJoin() throws IOException, InterruptedException, TimeoutException {
        stop = true;
        if (!Waits.join(thread, STOP)) {
            throw new TimeoutException(name + ": the sender did not stop within " + STOP.toSeconds()
                    + " s (blocked on a receiver that no longer reads?)");
        }
        if (failure != null) {
            throw new IOException(name + ": the sender failed: " + failure, failure);
        }
    }

    /** Messages the sender took; read after {@link #stopAndJoin}. */
    long accepted() {
        return accepted;
    }

    /** Offers the transport pushed back; read after {@link #stopAndJoin}. */
    long refused() {
        return refused;
    }

    /**
     * Spins only briefly: on a small machine the threads that drain the queue need this core, so a refused sender
     * soon yields, then sleeps.
     */
    static void backOff(int refusals) {
        if (refusals <= 8) {
            Thread.onSpinWait();
        } else if (refusals <= 16) {
            Thread.yield();
        } else {
            LockSupport.parkNanos(1_000);
        }
    }
}

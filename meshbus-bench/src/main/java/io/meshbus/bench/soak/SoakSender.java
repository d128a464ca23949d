package io.meshbus.bench.soak;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;

/**
 * Sends every flow's share of the rate on one thread, paced by the clock, for the run's length. A sender more than
 * {@link #MAX_CATCH_UP_NANOS} behind its schedule (a machine too busy for the rate) skips what it missed instead of
 * sending it in a burst, and counts it in {@link #behind()}.
 *
 * <p>Threads: {@link #run} on its own thread; {@link #stop} from any; {@link #behind()} and {@link #failure()} are
 * read after that thread ended.
 */
final class SoakSender implements Runnable {
    private static final long TICK_NANOS = TimeUnit.MILLISECONDS.toNanos(1);
    private static final long HEAP_SAMPLE_NANOS = TimeUnit.MILLISECONDS.toNanos(100);
    /** The schedule is not caught up by more than this: a sender that fell behind skips instead of bursting. */
    private static final long MAX_CATCH_UP_NANOS = TimeUnit.MILLISECONDS.toNanos(100);

    private final List<Flow> flows;
    private final int size;
    private final int rate;
    private final Duration length;
    /** Called every 100 ms while sending, so the report's heap maximum sees the run, not only its ends. */
    private final Runnable sampleHeap;
    private volatile boolean stop;
    private long behind;
    private Throwable failure;

    /**
     * @param rate messages per second per mode, both directions together: each of a mode's two flows sends half
     */
    SoakSender(List<Flow> flows, int size, int rate, Duration length, Runnable sampleHeap) {
        this.flows = flows;
        this.size = size;
        this.rate = rate;
        this.length = length;
        this.sampleHeap = sampleHeap;
    }

    @Override
    public void run() {
        try {
            double perFlowPerNano = rate / 2.0 / 1e9;
            long start = System.nanoTime();
            long end = start + length.toNanos();
            long nextSample = start;
            long[] due = new long[flows.size()];
            long now;
            while (!stop && (now = System.nanoTime()) - end < 0) {
                long target = (long) ((now - start) * perFlowPerNano);
                long catchUp = Math.max(1, (long) (MAX_CATCH_UP_NANOS * perFlowPerNano));
                for (Flow f : flows) {
                    if (target - due[f.index] > catchUp) {
                        behind += target - due[f.index] - catchUp;
                        due[f.index] = target - catchUp;
                    }
                    while (due[f.index] < target) {
                        due[f.index]++;
                        f.send(size);
                    }
                }
                if (now - nextSample >= 0) {
                    sampleHeap.run();
                    nextSample = now + HEAP_SAMPLE_NANOS;
                }
                LockSupport.parkNanos(TICK_NANOS);
            }
        } catch (Throwable t) {
            failure = t;
        }
    }

    void stop() {
        stop = true;
    }

    /** Sends skipped because the sender fell behind, all flows together. */
    long behind() {
        return behind;
    }

    /** What ended the sender early, or null. */
    Throwable failure() {
        return failure;
    }
}

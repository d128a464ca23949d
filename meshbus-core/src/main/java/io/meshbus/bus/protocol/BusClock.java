package io.meshbus.bus.protocol;

import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;

/**
 * Time, as the bus rooms see it: a monotonic clock and a scheduler. A parameter rather than {@code System.nanoTime()}
 * and a static timer, so that lookups, sweeps and retries can be tested with a clock the test moves.
 *
 * <p>Threads: scheduled tasks run on the timer's thread; they must be short and never block (they post anything
 * heavier to an executor).
 */
public interface BusClock {
    long nanoTime();

    /** Wall-clock time in milliseconds: only for what hosts compare across the network (a peer's creation time). */
    default long currentTimeMillis() {
        return System.currentTimeMillis();
    }

    ScheduledFuture<?> schedule(Runnable task, long delay, TimeUnit unit);

    ScheduledFuture<?> scheduleWithFixedDelay(Runnable task, long initialDelay, long delay, TimeUnit unit);

    /** The system clock and one daemon timer thread ({@code meshbus-timer}) shared by every host of the process. */
    static BusClock system() {
        return SystemClock.INSTANCE;
    }

    /** The shared timer behind {@link #system()}. */
    final class SystemClock implements BusClock {
        static final SystemClock INSTANCE = new SystemClock();
        private final ScheduledExecutorService timer;

        private SystemClock() {
            ScheduledThreadPoolExecutor t = new ScheduledThreadPoolExecutor(1, r -> {
                Thread th = new Thread(r, "meshbus-timer");
                th.setDaemon(true);
                return th;
            });
            t.setRemoveOnCancelPolicy(true);
            this.timer = t;
        }

        @Override
        public long nanoTime() {
            return System.nanoTime();
        }

        @Override
        public ScheduledFuture<?> schedule(Runnable task, long delay, TimeUnit unit) {
            return timer.schedule(task, delay, unit);
        }

        @Override
        public ScheduledFuture<?> scheduleWithFixedDelay(Runnable task, long initialDelay, long delay, TimeUnit unit) {
            return timer.scheduleWithFixedDelay(task, initialDelay, delay, unit);
        }
    }
}

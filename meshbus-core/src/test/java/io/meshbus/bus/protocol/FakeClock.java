package io.meshbus.bus.protocol;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.Delayed;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;

/** A bus clock the test moves: scheduled tasks run only when {@link #advance} passes their time. */
public final class FakeClock implements BusClock {
    private long now = 1_000_000_000L;
    private final List<Task> tasks = new ArrayList<>();

    @Override
    public synchronized long nanoTime() {
        return now;
    }

    @Override
    public synchronized ScheduledFuture<?> schedule(Runnable task, long delay, TimeUnit unit) {
        Task t = new Task(task, now + unit.toNanos(delay));
        tasks.add(t);
        return t;
    }

    @Override
    public ScheduledFuture<?> scheduleWithFixedDelay(Runnable task, long initialDelay, long delay, TimeUnit unit) {
        throw new UnsupportedOperationException("not used by the rooms under test");
    }

    /** Moves time on and runs, in time order, every task due by then (including tasks they schedule). */
    public void advance(long amount, TimeUnit unit) {
        long until;
        synchronized (this) {
            until = now + unit.toNanos(amount);
        }
        for (;;) {
            Task next;
            synchronized (this) {
                next = tasks.stream().filter(t -> !t.cancelled && t.at <= until)
                        .min(Comparator.comparingLong(t -> t.at)).orElse(null);
                if (next == null) {
                    now = until;
                    return;
                }
                tasks.remove(next);
                now = next.at;
            }
            next.task.run();
        }
    }

    /** Tasks scheduled and neither run nor cancelled. */
    public synchronized int waiting() {
        return (int) tasks.stream().filter(t -> !t.cancelled).count();
    }

    private static final class Task implements ScheduledFuture<Object> {
        final Runnable task;
        final long at;
        volatile boolean cancelled;

        Task(Runnable task, long at) {
            this.task = task;
            this.at = at;
        }

        @Override
        public long getDelay(TimeUnit unit) {
            return unit.convert(at, TimeUnit.NANOSECONDS);
        }

        @Override
        public int compareTo(Delayed o) {
            return Long.compare(getDelay(TimeUnit.NANOSECONDS), o.getDelay(TimeUnit.NANOSECONDS));
        }

        @Override
        public boolean cancel(boolean mayInterrupt) {
            cancelled = true;
            return true;
        }

        @Override
        public boolean isCancelled() {
            return cancelled;
        }

        @Override
        public boolean isDone() {
            return cancelled;
        }

        @Override
        public Object get() {
            throw new UnsupportedOperationException();
        }

        @Override
        public Object get(long timeout, TimeUnit unit) {
            throw new UnsupportedOperationException();
        }
    }
}

package io.meshbus.internal;

import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.Executor;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs tasks one at a time, in submission order, on a shared executor: per-sender order without a thread per sender
 * and without a global lock. Gives its thread back after a bounded run so one busy sender cannot starve the others.
 * The queue is unbounded here; its callers bound what they put in (a link stops reading past its inbound limit).
 */
public final class SerialExecutor implements Executor {
    private static final Logger LOG = LoggerFactory.getLogger(SerialExecutor.class);
    private static final int RUN_LIMIT = 256;

    private final Executor delegate;
    private final Queue<Runnable> tasks = new ConcurrentLinkedQueue<>();
    private final AtomicBoolean scheduled = new AtomicBoolean();
    private final Runnable runner = this::run;

    public SerialExecutor(Executor delegate) {
        this.delegate = delegate;
    }

    @Override
    public void execute(Runnable task) {
        tasks.add(task);
        if (scheduled.compareAndSet(false, true)) {
            delegate.execute(runner);
        }
    }

    /**
     * Runs the task in the calling thread when nothing else of this executor is running or queued, else queues it.
     * Saves a thread hand-off when the caller is already a worker thread (never call it from an I/O thread).
     */
    public void executeInline(Runnable task) {
        if (tasks.isEmpty() && scheduled.compareAndSet(false, true)) {
            try {
                task.run();
            } catch (Throwable t) {
                LOG.error("listener task failed", t);
            }
            release();
            return;
        }
        execute(task);
    }

    private void run() {
        for (int i = 0; i < RUN_LIMIT; i++) {
            Runnable r = tasks.poll();
            if (r == null) {
                break;
            }
            try {
                r.run();
            } catch (Throwable t) {
                LOG.error("listener task failed", t);
            }
        }
        release();
    }

    private void release() {
        scheduled.set(false);
        if (!tasks.isEmpty() && scheduled.compareAndSet(false, true)) {
            delegate.execute(runner);
        }
    }
}

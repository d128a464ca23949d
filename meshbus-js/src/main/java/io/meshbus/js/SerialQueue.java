package io.meshbus.js;

import java.util.ArrayDeque;
import java.util.concurrent.Executor;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Runs one connection's tasks one at a time, in order, on a shared executor (no thread per connection). */
final class SerialQueue {
    private static final Logger LOG = LoggerFactory.getLogger(SerialQueue.class);

    private final Executor executor;
    private final ArrayDeque<Runnable> tasks = new ArrayDeque<>();
    private boolean running;

    SerialQueue(Executor executor) {
        this.executor = executor;
    }

    /** Queues a task; returns how many tasks wait, so a producer can push back. */
    int execute(Runnable task) {
        boolean start;
        int size;
        synchronized (this) {
            tasks.add(task);
            size = tasks.size();
            start = !running;
            running = true;
        }
        if (start) {
            executor.execute(this::drain);
        }
        return size;
    }

    synchronized int size() {
        return tasks.size();
    }

    private void drain() {
        // A bounded batch per turn so one busy connection does not hold an executor thread forever.
        for (int i = 0; i < 64; i++) {
            Runnable r;
            synchronized (this) {
                r = tasks.poll();
                if (r == null) {
                    running = false;
                    return;
                }
            }
            try {
                r.run();
            } catch (Throwable t) {
                LOG.warn("browser gateway task failed", t);
            }
        }
        executor.execute(this::drain);
    }
}

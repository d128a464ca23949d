package io.meshbus.internal;

import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.LongAdder;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Watches I/O threads that run user code (listeners a user allowed on the I/O thread) and reports each one held past
 * its bound: a warning with the thread's stack, once per overrun, and a count. Vert.x's {@code BlockedThreadChecker}
 * is the model: the watched thread only writes a start time into its own slot (no allocation, no lock, nothing that
 * can throw), and one daemon thread compares the slots with the clock.
 *
 * <p>One checker per node that lets listeners run on its I/O threads; its daemon thread stops at {@link #close()}.
 *
 * <p>Threads: {@link #enter} and {@link #exit} on the watched thread only; the rest from any thread.
 */
public final class BlockedThreadChecker implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(BlockedThreadChecker.class);

    /** One watched thread's state; written by that thread, read by the checker. */
    public static final class Slot {
        final Thread thread;
        /** When the current run began (nanoTime), or 0 when the thread runs no user code. */
        volatile long since;
        /** The run already reported, so that one overrun gives one warning. */
        long reported;

        Slot(Thread thread) {
            this.thread = thread;
        }
    }

    /** The slot of the run under way on this thread, whatever checker watches it; null outside watched runs. */
    private static final ThreadLocal<Slot> CURRENT = new ThreadLocal<>();

    private final long boundNanos;
    private final String what;
    private final LongAdder blocked;
    private final Set<Slot> slots = ConcurrentHashMap.newKeySet();
    private final ThreadLocal<Slot> mine = ThreadLocal.withInitial(this::register);
    private final Thread checker;
    private volatile boolean closed;

    /**
     * @param bound   how long user code may hold a watched thread before it is reported
     * @param what    names the owner in the warning (a node's id)
     * @param blocked counted once per overrun
     */
    public BlockedThreadChecker(java.time.Duration bound, String what, LongAdder blocked) {
        this.boundNanos = bound.toNanos();
        this.what = what;
        this.blocked = blocked;
        long period = Math.max(1, bound.toMillis() / 2);
        checker = new Thread(() -> loop(period), "meshbus-blocked-thread-checker");
        checker.setDaemon(true);
        checker.start();
    }

    private Slot register() {
        Slot s = new Slot(Thread.currentThread());
        slots.add(s);
        return s;
    }

    /** The calling thread starts running user code; returns its slot for {@link #exit}. */
    public Slot enter() {
        Slot s = mine.get();
        s.since = System.nanoTime();
        CURRENT.set(s);
        return s;
    }

    /** The user code that {@link #enter} announced returned (or threw). */
    public static void exit(Slot s) {
        s.since = 0;
        CURRENT.remove();
    }

    /** Whether the calling thread is an I/O thread running listeners under a checker now. */
    public static boolean onWatchedThread() {
        return CURRENT.get() != null;
    }

    private void loop(long periodMillis) {
        while (!closed) {
            try {
                TimeUnit.MILLISECONDS.sleep(periodMillis);
            } catch (InterruptedException e) {
                return;
            }
            check(System.nanoTime());
        }
    }

    /** Reports every slot held past the bound at {@code now}; visible for tests. */
    void check(long now) {
        for (Slot s : slots) {
            long since = s.since;
            if (since == 0 || since == s.reported || now - since < boundNanos) {
                continue;
            }
            s.reported = since;
            blocked.increment();
            if (!s.thread.isAlive()) {
                slots.remove(s);
                continue;
            }
            Throwable where = new Throwable("stack of " + s.thread.getName());
            where.setStackTrace(s.thread.getStackTrace());
            LOG.warn("{}: I/O thread {} has been running a listener for {} ms (bound {} ms): a listener on the I/O "
                    + "thread must not block; every link on that thread waits meanwhile", what, s.thread.getName(),
                    TimeUnit.NANOSECONDS.toMillis(now - since), TimeUnit.NANOSECONDS.toMillis(boundNanos), where);
        }
    }

    @Override
    public void close() {
        closed = true;
        checker.interrupt();
    }
}

package io.meshbus.bus;

import io.meshbus.internal.BlockedThreadChecker;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The queue of one consumer, a peer or a subscription: its listeners' tasks run one at a time, in the order they were
 * taken, on the host's executor, and a bounded run gives the thread back so one busy consumer cannot starve the
 * others (as {@link io.meshbus.internal.SerialExecutor}). Unlike that one it is bounded: at most
 * {@link ConsumerOptions#capacity()} tasks wait (the running one not counted), and a full queue applies its
 * {@link SlowConsumerPolicy}.
 *
 * <p>What {@link #offer} is told about each message:
 * <ul>
 * <li>{@code via}: the remote host whose link brought it, or null for a sender on this host.
 * {@link SlowConsumerPolicy#BACK_PRESSURE} takes what a link brought and pauses that host's link while the queue is
 * full (until it drains to half); it refuses a sender on this host. Where links cannot be paused (a backplane) it
 * drops the new message instead, as {@link SlowConsumerPolicy#DROP_NEWEST}.</li>
 * <li>{@code droppable}: false for a message no policy may drop (at-least-once delivery, whose sender sends it again
 * while it is unacknowledged). Such a message is never dropped to make room nor counted: at a full queue that would
 * drop or refuse it, {@code offer} returns false and does not run {@code onDrop}, and the caller leaves it
 * unacknowledged. {@link SlowConsumerPolicy#DROP_OLDEST} only ever drops droppable entries. Only cutting a consumer
 * off ({@link SlowConsumerPolicy#FAIL}) discards non-droppable entries already taken, running their {@code onDrop}.
 * </li>
 * <li>{@code onDrop} (may be null): runs once, with the reason, when the message is not taken (droppable ones only)
 * or is discarded after it was taken; a confirmed send or a request fails its sender there with a
 * {@link io.meshbus.error.BackPressureException}. It never runs under the queue's lock; it runs on the thread that
 * offered the message that caused the drop.</li>
 * <li>{@code inline}: run it on the calling thread when the queue is idle, which saves a hand-off when the caller is a
 * worker already, or an I/O thread of a host that delivers there ({@code deliverOnIoThread}); a consumer whose
 * listeners {@linkplain ConsumerOptions#mayBlock may block} is never run inline on an I/O thread. A listener run inline holds its caller (a link's delivery)
 * until it returns; what arrives meanwhile from elsewhere waits here, under the policy.</li>
 * </ul>
 *
 * <p>Counted in the host's metrics: {@code slowConsumerDropped} (every message dropped or discarded),
 * {@code slowConsumerRefused} (droppable messages refused to a sender on this host), {@code slowConsumersFailed},
 * {@code inboundPauses}. Drops and refusals are logged at most once a second per consumer.
 */
final class ConsumerQueue {
    private static final Logger LOG = LoggerFactory.getLogger(ConsumerQueue.class);
    private static final int RUN_LIMIT = 256;
    private static final long REPORT_EVERY_NANOS = TimeUnit.SECONDS.toNanos(1);

    private final Executor delegate;
    private final ConsumerOptions options;
    private final SlowConsumers host;
    private final String name;
    private final Runnable cutOff;
    private final Runnable runner = this::run;

    // guarded by this
    private final ArrayDeque<Entry> entries = new ArrayDeque<>();
    /** A run is scheduled or under way, or a task runs inline: nothing else may start one. */
    private boolean running;
    private boolean cut;
    /** Remote hosts whose link this queue paused, or null. */
    private List<String> holding;
    private long reportedAt;
    private boolean reported;
    private long unreportedDrops;
    private long unreportedRefusals;

    private record Entry(Runnable task, boolean droppable, Consumer<String> onDrop) {
    }

    /** Makes a host's consumer queues: its executor, its counters and pauses. */
    record Factory(Executor executor, SlowConsumers slowConsumers) {
        ConsumerQueue create(ConsumerOptions options, String name, Runnable cutOff) {
            return new ConsumerQueue(executor, options, slowConsumers, name, cutOff);
        }
    }

    /**
     * @param name   the consumer as logs and errors name it ({@code peer alice})
     * @param cutOff ends the consumer under {@link SlowConsumerPolicy#FAIL}; runs once, outside the queue's lock
     */
    ConsumerQueue(Executor delegate, ConsumerOptions options, SlowConsumers host, String name, Runnable cutOff) {
        this.delegate = delegate;
        this.options = options;
        this.host = host;
        this.name = name;
        this.cutOff = cutOff;
    }

    ConsumerOptions options() {
        return options;
    }

    synchronized int size() {
        return entries.size();
    }

    /** Whether {@link SlowConsumerPolicy#FAIL} cut this consumer off. */
    synchronized boolean isCutOff() {
        return cut;
    }

    /**
     * Takes a task, or applies the policy; see the class comment for the arguments.
     *
     * @return whether the task was taken (it runs, or waits to run); false means it never runs
     */
    boolean offer(Runnable task, String via, boolean droppable, Consumer<String> onDrop, boolean inline) {
        SlowConsumerPolicy policy = options.policy();
        List<Entry> discarded = null;
        String why = null;
        boolean taken = false;
        boolean refused = false;
        boolean cutNow = false;
        boolean runNow = false;
        boolean schedule = false;
        synchronized (this) {
            boolean pausable = via != null && policy == SlowConsumerPolicy.BACK_PRESSURE && host.canPause();
            if (cut) {
                why = name + " was cut off as a slow consumer (policy FAIL)";
            } else if (entries.size() < options.capacity() || pausable) {
                taken = true;
            } else if (policy == SlowConsumerPolicy.DROP_OLDEST) {
                Entry oldest = removeOldestDroppable();
                if (oldest != null) {
                    discarded = List.of(oldest);
                    taken = true;
                    why = full("dropped to make room for a newer message");
                } else {
                    why = full("dropped (every queued message is one no policy may drop)");
                }
            } else if (policy == SlowConsumerPolicy.FAIL) {
                cut = true;
                cutNow = true;
                discarded = new ArrayList<>(entries);
                entries.clear();
                releaseHolds();
                why = full("dropped: the consumer was cut off");
            } else if (policy == SlowConsumerPolicy.BACK_PRESSURE && via == null) {
                refused = true;
                why = full("refused");
            } else {
                why = full(via == null || policy != SlowConsumerPolicy.BACK_PRESSURE ? "dropped"
                        : "dropped (links cannot be paused on a backplane)");
            }
            if (taken) {
                if (inline && !running && entries.isEmpty()
                        && !(options.mayBlock() && BlockedThreadChecker.onWatchedThread())) {
                    running = true;
                    runNow = true;
                } else {
                    entries.add(new Entry(task, droppable, onDrop));
                    if (!running) {
                        running = true;
                        schedule = true;
                    }
                    if (pausable && entries.size() >= options.capacity()) {
                        hold(via);
                    }
                }
            }
        }
        if (cutNow) {
            host.failed.increment();
            LOG.warn("host {}: {} is a slow consumer: cut off (capacity {}, policy FAIL), {} queued messages dropped",
                    host.host(), name, options.capacity(), discarded.size());
            cutOff.run();
        }
        int drops = 0;
        if (discarded != null) {
            drops += discarded.size();
            for (Entry e : discarded) {
                fail(e.onDrop(), why);
            }
        }
        if (!taken && droppable) {
            if (refused) {
                host.refused.increment();
            } else {
                drops++;
            }
            fail(onDrop, why);
        }
        if (drops > 0 || (refused && droppable)) {
            host.dropped.add(drops);
            report(drops, refused && droppable ? 1 : 0);
        }
        if (runNow) {
            runInline(task);
        } else if (schedule) {
            delegate.execute(runner);
        }
        return taken;
    }

    private String full(String what) {
        return name + " is a slow consumer: its queue is full (capacity " + options.capacity() + ", policy "
                + options.policy() + "); the message was " + what;
    }

    /** The oldest entry a policy may drop, taken out of the queue; null when every queued entry is protected. */
    private Entry removeOldestDroppable() {
        for (Iterator<Entry> it = entries.iterator(); it.hasNext(); ) {
            Entry e = it.next();
            if (e.droppable()) {
                it.remove();
                return e;
            }
        }
        return null;
    }

    /** Under the lock, so a hold and its release reach the host in the order this queue decided them. */
    private void hold(String via) {
        if (holding == null) {
            holding = new ArrayList<>(2);
        } else if (holding.contains(via)) {
            return;
        }
        holding.add(via);
        host.hold(via);
    }

    private void releaseHolds() {
        if (holding != null) {
            holding.forEach(host::release);
            holding = null;
        }
    }

    private static void fail(Consumer<String> onDrop, String why) {
        if (onDrop == null) {
            return;
        }
        try {
            onDrop.accept(why);
        } catch (RuntimeException e) {
            LOG.warn("failing the sender of a dropped message failed", e);
        }
    }

    private void report(long drops, long refusals) {
        long now = System.nanoTime();
        long d;
        long r;
        synchronized (this) {
            unreportedDrops += drops;
            unreportedRefusals += refusals;
            if (reported && now - reportedAt < REPORT_EVERY_NANOS) {
                return;
            }
            reported = true;
            reportedAt = now;
            d = unreportedDrops;
            r = unreportedRefusals;
            unreportedDrops = 0;
            unreportedRefusals = 0;
        }
        LOG.warn("host {}: {} is a slow consumer (capacity {}, policy {}): {} messages dropped, {} refused (logged "
                + "at most once a second; see the host's metrics)", host.host(), name, options.capacity(),
                options.policy(), d, r);
    }

    private void runInline(Runnable task) {
        runTask(task);
        release();
    }

    private void run() {
        for (int i = 0; i < RUN_LIMIT; i++) {
            Entry e;
            synchronized (this) {
                e = entries.poll();
                if (e == null) {
                    break;
                }
                if (holding != null && entries.size() <= options.capacity() / 2) {
                    releaseHolds();
                }
            }
            runTask(e.task());
        }
        release();
    }

    /** Ends a turn: another one is scheduled if tasks came meanwhile, else the queue is idle. */
    private void release() {
        boolean again;
        synchronized (this) {
            again = !entries.isEmpty();
            running = again;
        }
        if (again) {
            delegate.execute(runner);
        }
    }

    private static void runTask(Runnable r) {
        try {
            r.run();
        } catch (Throwable t) {
            LOG.error("listener task failed", t);
        }
    }

    @Override
    public String toString() {
        return "ConsumerQueue{" + name + " " + options + "}";
    }
}

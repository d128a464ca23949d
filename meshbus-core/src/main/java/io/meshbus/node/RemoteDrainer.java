package io.meshbus.node;

import io.meshbus.error.BackPressureException;
import io.meshbus.error.FrameTooLargeException;
import io.meshbus.error.MeshbusException;
import io.meshbus.error.PeerUnreachableException;
import io.meshbus.message.Headers;
import io.meshbus.message.Message;
import io.meshbus.wire.StringCache;
import io.meshbus.wire.WireFormat;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.PooledByteBufAllocator;
import io.netty.buffer.Unpooled;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Moves messages from senders to links: offers them to a remote's bounded {@link SendQueue} (applying the overflow
 * policy) and keeps exactly one drainer per remote moving its queue to the active link. Producers signal only when a
 * queue turns non-empty, so a stream of sends costs no atomic per message; the drainer loops until nobody signalled
 * again. Multi-dispatch encodes once: small frames are shared as arrays, large ones as one retained buffer.
 *
 * <p>Invariant: an item is written, failed or released exactly once; nothing stays queued on a forgotten remote.
 *
 * <p>Threads: {@code send} and {@code signalDrain} from any thread; the drain runs on the active link's event loop
 * (or, with no link, briefly on the signalling thread, where it finds nothing to write to).
 */
final class RemoteDrainer {
    /** Payloads up to this size are multi-dispatched as a byte array (copied per link), larger ones as one buffer. */
    private static final int SMALL_FRAME = 4096;
    private static final ThreadLocal<ByteBuf> SCRATCH = ThreadLocal.withInitial(
            () -> Unpooled.buffer(SMALL_FRAME + 1024));
    private static final ThreadLocal<StringCache> SCRATCH_STRINGS = ThreadLocal.withInitial(StringCache::new);

    private final NodeOptions options;
    private final NodeMetrics metrics;
    private final Remotes remotes;
    private final Completions completions;
    private final SendQueue.Evictions evictions;
    private static final long SHED_RESCAN_NANOS = 50_000_000L;
    private final AtomicLong lastFruitlessShed = new AtomicLong();

    RemoteDrainer(NodeOptions options, NodeMetrics metrics, Remotes remotes, Completions completions) {
        this.options = options;
        this.metrics = metrics;
        this.remotes = remotes;
        this.completions = completions;
        this.evictions = (item, future) -> {
            metrics.messagesDropped.increment();
            release(item);
            completions.fail(future, new BackPressureException(
                    "dropped: the send queue overflowed and its policy drops the oldest"));
        };
    }

    /** Throws {@link FrameTooLargeException} (counted) for a message that can never fit in a frame. */
    void checkSize(Message m) {
        if (m.payloadSize() > options.maxFrameSize()) {
            metrics.framesTooLarge.increment();
            throw new FrameTooLargeException("message of " + m.payloadSize() + " payload bytes is larger than the"
                    + " maximum frame size " + options.maxFrameSize());
        }
    }

    /** Encodes the message once and queues the same bytes for every remote that is known; returns how many took it. */
    int send(Collection<String> to, Message message, Collection<String> backPressured) {
        if (message.payloadSize() <= SMALL_FRAME) {
            // Small frames are shared as a plain array: no reference counting, no pooled buffer freed on another
            // thread; each link copies the bytes into its batch anyway.
            byte[] frame = encodeSmall(message);
            int taken = 0;
            for (String t : to) {
                Remote r = remotes.find(t);
                if (r != null) {
                    taken += offer(r, frame, backPressured);
                }
            }
            return taken;
        }
        ByteBuf frame = PooledByteBufAllocator.DEFAULT.heapBuffer(message.payloadSize() + 128);
        try {
            WireFormat.writeData(frame, message, options.maxFrameSize());
            int taken = 0;
            for (String t : to) {
                Remote r = remotes.find(t);
                if (r != null) {
                    taken += offer(r, frame.retainedDuplicate(), backPressured);
                }
            }
            return taken;
        } finally {
            frame.release();
        }
    }

    /** One host's share of a multi-send: 1 when taken; a refusal for lack of room is noted in {@code backPressured}. */
    private int offer(Remote r, Object frame, Collection<String> backPressured) {
        SendStatus s = enqueue(r, frame, null);
        if (s == SendStatus.BACK_PRESSURED && backPressured != null) {
            backPressured.add(r.id);
        }
        return s.accepted() ? 1 : 0;
    }

    private byte[] encodeSmall(Message message) {
        ByteBuf scratch = SCRATCH.get().clear();
        WireFormat.writeData(scratch, message, options.maxFrameSize(), SCRATCH_STRINGS.get());
        byte[] frame = new byte[scratch.readableBytes()];
        scratch.readBytes(frame);
        if (scratch.capacity() > 4 * (SMALL_FRAME + 1024)) {
            SCRATCH.remove();
        }
        return frame;
    }

    /** Queues a message, a shared frame array or a shared frame buffer; {@code future} may be null. */
    SendStatus enqueue(Remote r, Object item, CompletableFuture<?> future) {
        int w = weight(item);
        boolean dropOldest = options.overflowPolicy() == OverflowPolicy.DROP_OLDEST;
        int res = r.queue.offer(item, w, future, dropOldest, evictions);
        if (res == SendQueue.OVER_BUDGET && shedQueuesOfDownRemotes(r) > 0) {
            res = r.queue.offer(item, w, future, dropOldest, evictions);
        }
        if (res == SendQueue.OVER_BUDGET) {
            metrics.memoryBudgetRefusals.increment();
            release(item);
            completions.fail(future, new BackPressureException("the memory budget of node " + options.id() + " is full ("
                    + remotes.budget.limit() + " bytes queued for all remotes)"));
            return SendStatus.BACK_PRESSURED;
        }
        if (res == SendQueue.FULL) {
            metrics.sendsBackPressured.increment();
            release(item);
            completions.fail(future, new BackPressureException("send queue to node " + r.id + " is full (at most "
                    + options.sendQueueCapacity() + " messages and " + options.maxQueuedBytes() + " bytes)"));
            return SendStatus.BACK_PRESSURED;
        }
        if (res == SendQueue.OK_WAS_EMPTY) {
            signalDrain(r);
        }
        if (r.gone) {
            // Lost a race with forgetting the remote: make sure nothing stays queued on it.
            failQueue(r, new PeerUnreachableException("node " + r.id + " was given up"));
        }
        return r.active != null ? SendStatus.SENT : SendStatus.QUEUED;
    }

    /** About the bytes an item will take on the wire: what the per-remote byte limit counts. */
    private static int weight(Object item) {
        if (item instanceof Message m) {
            Headers h = m.headers();
            int n = 24 + m.payloadSize();
            for (int i = 0, c = h.size(); i < c; i++) {
                n += 3 + h.keyAt(i).length() + h.valueAt(i).length();
            }
            return n;
        }
        if (item instanceof byte[] frame) {
            return frame.length;
        }
        return ((ByteBuf) item).readableBytes();
    }

    /** Makes sure one drainer moves the remote's queue to its active link. */
    void signalDrain(Remote r) {
        if (r.wip.getAndIncrement() == 0) {
            NodeLink l = r.active;
            if (l != null) {
                l.ch.eventLoop().execute(() -> drainLoop(r));
            } else {
                drainLoop(r);
            }
        }
    }

    private void drainLoop(Remote r) {
        int missed = 1;
        for (;;) {
            NodeLink l = r.active;
            if (l != null) {
                l.writer.writeFrom(r);
            }
            missed = r.wip.addAndGet(-missed);
            if (missed == 0) {
                return;
            }
        }
    }

    /** Fails everything queued for the remote with {@code cause} (counted). */
    /**
     * The budget is full: the queues of remotes whose link is down go first, since what waits for a remote that may
     * never come back must not starve the live ones (their messages fail typed). Returns how many were released.
     */
    int shedQueuesOfDownRemotes(Remote sending) {
        long now = System.nanoTime();
        long last = lastFruitlessShed.get();
        if (last != 0 && now - last < SHED_RESCAN_NANOS) {
            // A scan just found nothing to release: under sustained pressure from live queues, refuse without
            // walking every remote for each send.
            return 0;
        }
        int shed = 0;
        for (Remote r : remotes.all()) {
            if (r != sending && r.active == null && r.queue.size() > 0) {
                metrics.queuesShed.increment();
                failQueue(r, new PeerUnreachableException("queue to node " + r.id + " released while its link is "
                        + "down: the node's memory budget is full"));
                shed++;
            }
        }
        lastFruitlessShed.set(shed == 0 ? now : 0);
        return shed;
    }

    void failQueue(Remote r, MeshbusException cause) {
        Object[] items = new Object[Remote.DRAIN_BATCH];
        CompletableFuture<?>[] futures = new CompletableFuture<?>[Remote.DRAIN_BATCH];
        int n;
        while ((n = r.queue.drain(items, futures, items.length)) > 0) {
            metrics.messagesFailed.add(n);
            for (int i = 0; i < n; i++) {
                release(items[i]);
                completions.fail(futures[i], cause);
            }
        }
        List<CompletableFuture<Void>> waiting = r.queue.takeRoomWaiters();
        if (!waiting.isEmpty()) {
            completions.complete(new ArrayList<>(waiting), cause);
        }
    }

    /** Releases a queued item that holds a buffer (messages and shared arrays need nothing). */
    private static void release(Object item) {
        if (item instanceof ByteBuf b) {
            b.release();
        }
    }
}

package io.meshbus.node;

import io.meshbus.internal.BlockedThreadChecker;
import io.meshbus.message.Message;
import io.netty.channel.Channel;
import java.util.ArrayList;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BooleanSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The inbound side of one active link: batches the messages of one read and hands each batch to the remote's serial
 * executor, compares TALLY frames with what arrived, and gates reading. Reading stops for any of four reasons, each
 * kept apart so that none resumes what another paused: more than {@code inboundLimit} messages undelivered (until
 * half are), an authenticator's pending verdict, a pause asked through {@link Node#pauseInbound}, and for good once
 * the link refused a frame or failed.
 *
 * <p>Invariant: every message read is delivered once, in the order read, after the batch before it.
 *
 * <p>Threads: the channel's event loop, except {@link #delivered} (the listener thread) and
 * {@link #applyReadStateLater} (any thread); both hand the read gate back to the loop.
 */
final class LinkInbound {
    private static final Logger LOG = LoggerFactory.getLogger(LinkInbound.class);

    private final Channel ch;
    private final NodeOptions options;
    private final NodeMetrics metrics;
    private final NodeEvents events;
    private final String nodeId;
    /** Whether the handshake's authenticator holds reading (one of the read gate's reasons). */
    private final BooleanSupplier verdictPending;
    private final int inboundLimit;
    /** Messages handed to the remote's executor and not yet delivered; written by both threads. */
    private final AtomicInteger undelivered = new AtomicInteger();
    // event loop only
    private Remote remote;
    private ArrayList<Message> batch = new ArrayList<>();
    private long lastDataNanos = System.nanoTime();
    /** When reading last resumed after a pause: a silence that began while this side did not read is not death. */
    private long readingSince = System.nanoTime();
    private boolean overInboundLimit;
    /** Set when listeners run on this I/O thread (deliverOnIoThread): it times each run; null otherwise. */
    private final BlockedThreadChecker onIoThread;
    /** The link refused or failed: it never reads again. */
    private boolean stopped;

    LinkInbound(Channel ch, NodeOptions options, NodeMetrics metrics, NodeEvents events, String nodeId,
                BooleanSupplier verdictPending, BlockedThreadChecker onIoThread) {
        this.onIoThread = onIoThread;
        this.ch = ch;
        this.options = options;
        this.metrics = metrics;
        this.events = events;
        this.nodeId = nodeId;
        this.verdictPending = verdictPending;
        this.inboundLimit = options.inboundLimit();
    }

    /** The link became the remote's active one. */
    void activated(Remote r) {
        assert ch.eventLoop().inEventLoop();
        remote = r;
        lastDataNanos = System.nanoTime();
        if (r.inboundPaused) {
            applyReadState();
        }
    }

    /** Adds a message of the current read to its batch. Only once active. */
    void add(Message m) {
        batch.add(m);
    }

    /** Hands the messages of the read to the remote's executor, if there are any. */
    void endOfRead() {
        if (batch.isEmpty()) {
            return;
        }
        ArrayList<Message> b = batch;
        Remote r = remote;
        r.received.addAndGet(b.size());
        batch = new ArrayList<>(Math.max(16, b.size()));
        lastDataNanos = System.nanoTime();
        if (undelivered.addAndGet(b.size()) >= inboundLimit) {
            overInboundLimit = true;
            applyReadState();
        }
        if (onIoThread == null) {
            r.inbound.execute(() -> events.deliver(r.id, b, this));
            return;
        }
        // On this thread unless the remote's earlier batches still wait on the executor (order per sender first).
        r.inbound.executeInline(() -> {
            if (!ch.eventLoop().inEventLoop()) {
                events.deliver(r.id, b, this);
                return;
            }
            BlockedThreadChecker.Slot watch = onIoThread.enter();
            try {
                events.deliver(r.id, b, this);
            } finally {
                BlockedThreadChecker.exit(watch);
            }
        });
    }

    /** When DATA last arrived (nanoTime). */
    long lastDataNanos() {
        return lastDataNanos;
    }

    /** Whether a reader-idle silence is this side's doing: it is not reading, or began to only recently. */
    boolean silenceIsOurs() {
        return !ch.config().isAutoRead() || System.nanoTime() - readingSince < options.idleTimeout().toNanos();
    }

    /**
     * The remote had sent {@code count} data messages before this frame: what we read is short by what broken links
     * lost on the way. Counted and logged here; then both counts agree again.
     */
    void onTally(long count, String remoteId) {
        Remote r = remote;
        if (r == null) {
            return; // closing before it was ever active: nothing to compare
        }
        long have = r.received.get() + batch.size();
        long lost = count - have;
        r.received.addAndGet(lost);
        if (lost > 0) {
            metrics.messagesLostInFlight.add(lost);
            LOG.warn("node {}: {} messages from node {} were lost with a broken link", nodeId, lost, remoteId);
        }
    }

    /** Called on the listener thread after a batch was delivered: reading resumes below half the limit. */
    void delivered(int n) {
        if (undelivered.addAndGet(-n) <= inboundLimit / 2 && !ch.config().isAutoRead()) {
            ch.eventLoop().execute(() -> {
                if (undelivered.get() <= inboundLimit / 2) {
                    overInboundLimit = false;
                }
                applyReadState();
            });
        }
    }

    /** Applies the read gate on the event loop; completes once it holds (at once when the loop is shutting down). */
    CompletableFuture<Boolean> applyReadStateLater() {
        CompletableFuture<Boolean> applied = new CompletableFuture<>();
        try {
            ch.eventLoop().execute(() -> {
                applyReadState();
                applied.complete(true);
            });
        } catch (RejectedExecutionException closing) {
            // the event loop is shutting down with the node: there is nothing left to read
            applied.complete(true);
        }
        return applied;
    }

    /** Stops reading for good (the link refused a frame or failed); no other reason's end resumes it. */
    void stop() {
        stopped = true;
        applyReadState();
    }

    /** Reads when no reason to stop holds, so one reason's end never resumes what another one paused. */
    void applyReadState() {
        assert ch.eventLoop().inEventLoop();
        Remote r = remote;
        boolean read = !stopped && !overInboundLimit && !verdictPending.getAsBoolean()
                && (r == null || !r.inboundPaused);
        if (ch.config().isAutoRead() != read) {
            ch.config().setAutoRead(read);
            if (read) {
                readingSince = System.nanoTime();
            }
        }
    }
}

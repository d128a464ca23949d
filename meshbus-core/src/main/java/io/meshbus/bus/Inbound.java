package io.meshbus.bus;

import io.meshbus.bus.directory.PeerLocator;
import io.meshbus.bus.protocol.BusContext;
import io.meshbus.bus.protocol.BusOps;
import io.meshbus.bus.request.Pending;
import io.meshbus.bus.request.PendingOps;
import io.meshbus.bus.stream.AtLeastOnce;
import io.meshbus.bus.stream.InboundStream;
import io.meshbus.error.ErrorCode;
import io.meshbus.error.MeshbusException;
import io.meshbus.message.Headers;
import io.meshbus.message.Message;
import java.nio.ByteBuffer;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What other hosts send to local peers, and the answers to what this host sent: delivery with authorization and
 * typed refusals ({@code s}, {@code f}, {@code q}, {@code u}, {@code b}, {@code g}); confirmations ({@code a}),
 * replies ({@code r}) and failures ({@code e}, with one more lookup when a cached location was stale).
 *
 * <p>Invariants: a confirmed send or request that is not delivered (no such peer, denied, refused by the consumer's
 * queue) is answered with its typed error; a fire-and-forget one is counted; a confirmation leaves only once the
 * listeners had the message.
 *
 * <p>Threads: the executor, serially per remote host (the node's delivery, or a backplane lane).
 */
final class Inbound {
    private static final Logger LOG = LoggerFactory.getLogger(Inbound.class);

    private final BusContext ctx;
    private final LocalPeers peers;
    private final Delivery delivery;
    private final PendingOps pending;
    private final AtLeastOnce streams;
    private final AckBatcher acks;
    private final PeerLocator locator;
    private final Outbound outbound;

    Inbound(BusContext ctx, LocalPeers peers, Delivery delivery, PendingOps pending, AtLeastOnce streams,
            AckBatcher acks, PeerLocator locator, Outbound outbound) {
        this.ctx = ctx;
        this.peers = peers;
        this.delivery = delivery;
        this.pending = pending;
        this.streams = streams;
        this.acks = acks;
        this.locator = locator;
        this.outbound = outbound;
    }

    /** A confirmed send, fire-and-forget message or request for a local peer. */
    void onDeliver(String fromHost, Message m, String op) {
        char kind = op.charAt(0);
        long s = kind == 'f' ? 0 : BusOps.seq(op, 1);
        if (s < 0) {
            ctx.metrics().strangers.increment();
            return;
        }
        String to = m.header(Headers.TO);
        String from = m.header(Headers.FROM);
        Peer target = to == null ? null : peers.get(to);
        if (target != null && !ctx.options().authorizer().maySend(fromHost, from, to)) {
            ctx.metrics().denied.increment();
            LOG.warn("host {}: denied {} from {} on host {} to {}", ctx.id(), kind == 'q' ? "a request" : "a message",
                    from, fromHost, to);
            if (kind != 'f') {
                ctx.carrier().send(fromHost, BusOps.error(op.substring(1), ErrorCode.NOT_AUTHORIZED, "host "
                        + ctx.id() + " does not allow " + from + " to send to " + to));
            }
            return;
        }
        if (target == null) {
            ctx.metrics().notFound.increment();
            if (kind != 'f') {
                ctx.carrier().send(fromHost, BusOps.error(op.substring(1), ErrorCode.PEER_NOT_FOUND,
                        "Peer not found (id: " + to + ")"));
            } else {
                ctx.metrics().dropped.increment();
            }
            return;
        }
        // A confirmed send or a request its queue drops fails its sender typed (BackPressureException) at once.
        Consumer<String> refuse = kind == 'f' ? null
                : why -> ctx.carrier().send(fromHost, BusOps.error(op.substring(1), ErrorCode.BACK_PRESSURE, why));
        if (kind == 'q') {
            target.inbox().offer(() -> delivery.deliverRequest(target, from, m, fromHost, s), fromHost, true, refuse,
                    true);
        } else if (kind == 's') {
            Thread reader = Thread.currentThread();
            target.inbox().offer(() -> {
                delivery.deliver(target, from, m);
                // Run inline, the confirmation leaves with the batch's others at its end; run later, on its own.
                acks.ack(fromHost, s, Thread.currentThread() != reader);
            }, fromHost, true, refuse, true);
        } else {
            target.inbox().offer(() -> delivery.deliver(target, from, m), fromHost, true, null, true);
        }
    }

    /** An at-least-once message: delivered only when it is the stream's next one (see {@link AtLeastOnce}). */
    void onAtLeastOnce(String fromHost, Message m, String op) {
        InboundStream in = streams.inbound(fromHost);
        long s = in.take(op);
        if (s == 0) {
            return;
        }
        long epoch = in.epoch();
        String to = m.header(Headers.TO);
        String from = m.header(Headers.FROM);
        Peer target = to == null ? null : peers.get(to);
        if (target != null && !ctx.options().authorizer().maySend(fromHost, from, to)) {
            ctx.metrics().denied.increment();
            LOG.warn("host {}: denied a message from {} on host {} to {}", ctx.id(), from, fromHost, to);
            in.refuse(epoch, s, ErrorCode.NOT_AUTHORIZED, "host " + ctx.id() + " does not allow " + from
                    + " to send to " + to, false);
            return;
        }
        if (target == null) {
            ctx.metrics().notFound.increment();
            in.refuse(epoch, s, ErrorCode.PEER_NOT_FOUND, "Peer not found (id: " + to + ")", false);
            return;
        }
        Thread reader = Thread.currentThread();
        boolean taken = target.inbox().offer(() -> {
            delivery.deliver(target, from, m);
            in.done(epoch, s, Thread.currentThread() != reader);
        }, fromHost, false, why -> in.refuse(epoch, s, ErrorCode.BACK_PRESSURE, why,
                Thread.currentThread() != reader), true);
        if (!taken) {
            // A full queue under a dropping policy: not taken, not acknowledged; the sender sends it again.
            in.untake(epoch, s);
        }
    }

    void onBroadcast(String fromHost, Message m) {
        delivery.toAll(m.header(Headers.FROM), m, null, fromHost);
    }

    void onPattern(String fromHost, Message m) {
        String pattern = m.header(Headers.TO);
        String[] tokens;
        try {
            tokens = pattern == null ? null : Subjects.tokens(pattern, true);
        } catch (IllegalArgumentException e) {
            tokens = null;
        }
        if (tokens == null) {
            ctx.metrics().strangers.increment();
            return;
        }
        delivery.toPattern(tokens, m.header(Headers.FROM), m, fromHost);
    }

    // ------------------------------------------------------------------ answers

    void onAcks(Message m) {
        ByteBuffer b = m.payload();
        while (b.remaining() >= 8) {
            pending.complete(b.getLong(), null);
        }
    }

    void onReply(Message m, String op) {
        long s = BusOps.seq(op, 1);
        if (s < 0) {
            ctx.metrics().strangers.increment();
            return;
        }
        pending.complete(s, m);
    }

    void onError(Message m, String op) {
        long s = BusOps.seq(op, 1);
        Pending p = s < 0 ? null : pending.take(s);
        if (p == null) {
            return;
        }
        ErrorCode code = ErrorCode.ofWire(parseStatus(m.header(Headers.STATUS)));
        if (code == ErrorCode.PEER_NOT_FOUND && p.peerId() != null) {
            locator.evict(p.peerId());
            if (p.retry() != null) {
                // The cache was stale (the peer moved or went away): look it up again, once.
                outbound.retry(p);
                return;
            }
        }
        p.future().completeExceptionally(MeshbusException.of(code, m.payloadText()));
    }

    /** Flushes what was batched for a host: at the end of each inbound batch from it. */
    void onBatchEnd(String fromHost) {
        acks.flush(fromHost);
        streams.flush(fromHost);
    }

    private static int parseStatus(String s) {
        try {
            return s == null ? 0 : Integer.parseInt(s);
        } catch (NumberFormatException e) {
            return 0;
        }
    }
}

package io.meshbus.bus;

import io.meshbus.bus.directory.PeerLocator;
import io.meshbus.bus.membership.Membership;
import io.meshbus.bus.protocol.BusContext;
import io.meshbus.bus.protocol.BusOps;
import io.meshbus.bus.request.Pending;
import io.meshbus.bus.request.PendingOps;
import io.meshbus.bus.stream.AtLeastOnce;
import io.meshbus.error.BackPressureException;
import io.meshbus.error.PeerNotFoundException;
import io.meshbus.error.PeerUnreachableException;
import io.meshbus.message.Headers;
import io.meshbus.message.Message;
import io.meshbus.node.SendStatus;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Sending from a local peer, in every mode: confirmed ({@code s}), at least once (through the {@link AtLeastOnce}
 * streams), fire and forget ({@code f}), requests ({@code q}) and their replies ({@code r}), broadcast ({@code b})
 * and peer patterns ({@code g}).
 *
 * <p>Invariants: per-sender order holds through lookups (every mode routes through {@link PeerLocator#route});
 * a local target never crosses the carrier; every future completes typed (the pending table, the locator's bound or
 * the consumer queue's refusal).
 *
 * <p>Threads: any caller; nothing here blocks.
 */
final class Outbound {
    private static final Logger LOG = LoggerFactory.getLogger(Outbound.class);

    private final BusContext ctx;
    private final PeerLocator locator;
    private final Membership membership;
    private final LocalPeers peers;
    private final Delivery delivery;
    private final PendingOps pending;
    private final AtLeastOnce streams;

    Outbound(BusContext ctx, PeerLocator locator, Membership membership, LocalPeers peers, Delivery delivery,
             PendingOps pending, AtLeastOnce streams) {
        this.ctx = ctx;
        this.locator = locator;
        this.membership = membership;
        this.peers = peers;
        this.delivery = delivery;
        this.pending = pending;
        this.streams = streams;
    }

    static Message toMessage(Object payload) {
        return payload instanceof Message m ? m : Message.of(payload);
    }

    private static PeerNotFoundException notFound(String to) {
        return new PeerNotFoundException("Peer not found (id: " + to + ")");
    }

    // ------------------------------------------------------------------ confirmed

    CompletableFuture<Void> send(String from, String to, Object payload, Duration timeout) {
        Message m = toMessage(payload);
        CompletableFuture<Void> f = new CompletableFuture<>();
        locator.routeWithin(to, timeout, f, (host, cached) -> sendTo(host, cached, from, to, m, f,
                ctx.clock().nanoTime() + timeout.toNanos(), false));
        return f;
    }

    /** Also the second try of a send whose cached location was stale ({@code retried}). */
    void sendTo(String host, boolean cached, String from, String to, Message m, CompletableFuture<Void> f,
                long deadline, boolean retried) {
        if (host.equals(ctx.id())) {
            Peer target = peers.get(to);
            if (target == null) {
                f.completeExceptionally(notFound(to));
                return;
            }
            Message stamped = m.withHeaders(m.headers().withAll(Headers.FROM, from, Headers.TO, to));
            target.inbox().offer(() -> {
                delivery.deliver(target, from, stamped);
                f.complete(null);
            }, null, true, why -> f.completeExceptionally(new BackPressureException(why)), false);
            return;
        }
        Pending.Retry retry = cached && !retried ? new Pending.Retry(from, m) : null;
        long s = pending.register(Pending.Kind.SEND, f, host, to, from, deadline, retry);
        Message out = m.withHeaders(m.headers().withAll(Headers.FROM, from, Headers.TO, to,
                BusOps.OP, BusOps.SEND + s));
        SendStatus st = ctx.carrier().send(host, out);
        if (!st.accepted()) {
            locator.evict(to);
            pending.fail(s, new PeerUnreachableException("Peer unreachable (id: " + to + ", host: " + host + "): "
                    + st));
        }
    }

    /** A confirmed send whose cached location said not found: looked up again, once, within what is left. */
    void retry(Pending p) {
        @SuppressWarnings({"unchecked", "rawtypes"})
        CompletableFuture<Void> f = (CompletableFuture) p.future();
        long deadline = p.deadline();
        locator.route(p.peerId(), (h, c) -> sendTo(h, c, p.retry().from(), p.peerId(), p.retry().message(), f,
                deadline, true), f::completeExceptionally);
    }

    // ------------------------------------------------------------------ at least once

    CompletableFuture<Void> sendAtLeastOnce(String from, String to, Object payload, Duration timeout) {
        Message m = toMessage(payload);
        Message stamped = m.withHeaders(m.headers().withAll(Headers.FROM, from, Headers.TO, to));
        CompletableFuture<Void> f = new CompletableFuture<>();
        long deadline = ctx.clock().nanoTime() + timeout.toNanos();
        locator.routeWithin(to, timeout, f, (host, cached) -> sendAtLeastOnceTo(host, cached, to, stamped, f,
                deadline));
        return f;
    }

    private void sendAtLeastOnceTo(String host, boolean cached, String to, Message stamped, CompletableFuture<Void> f,
                                   long deadline) {
        if (host.equals(ctx.id())) {
            Peer target = peers.get(to);
            if (target == null) {
                f.completeExceptionally(notFound(to));
                return;
            }
            target.inbox().offer(() -> {
                delivery.deliver(target, stamped.header(Headers.FROM), stamped);
                f.complete(null);
            }, null, true, why -> f.completeExceptionally(new BackPressureException(why)), false);
            return;
        }
        streams.send(host, to, stamped, f, deadline, cached, (peerId, original, future, until) -> {
            locator.evict(peerId);
            locator.route(peerId, (h, c) -> sendAtLeastOnceTo(h, false, peerId, original, future, until),
                    future::completeExceptionally);
        });
    }

    // ------------------------------------------------------------------ fire and forget

    SendStatus sendAndForget(String from, String to, Object payload) {
        Message m = toMessage(payload);
        String cached = peers.has(to) ? null : locator.cachedRoute(to);
        if (cached != null) {
            return ctx.carrier().send(cached, m.withHeaders(m.headers().withAll(Headers.FROM, from, Headers.TO, to,
                    BusOps.OP, BusOps.FORGET)));
        }
        if (ctx.isClosed()) {
            return SendStatus.CLOSED;
        }
        // A local target is routed at once, so its queue's answer is known before this returns.
        SendStatus[] status = {SendStatus.QUEUED};
        locator.route(to, (host, c) -> {
            if (host.equals(ctx.id())) {
                Peer target = peers.get(to);
                if (target != null) {
                    Message stamped = m.withHeaders(m.headers().withAll(Headers.FROM, from, Headers.TO, to));
                    if (!target.inbox().offer(() -> delivery.deliver(target, from, stamped), null, true, null,
                            false)) {
                        status[0] = SendStatus.BACK_PRESSURED;
                    }
                    return;
                }
                ctx.metrics().dropped.increment();
            } else if (!ctx.carrier().send(host, m.withHeaders(m.headers().withAll(Headers.FROM, from,
                    Headers.TO, to, BusOps.OP, BusOps.FORGET))).accepted()) {
                ctx.metrics().dropped.increment();
            }
        }, e -> {
            ctx.metrics().dropped.increment();
            LOG.debug("host {}: fire-and-forget message to {} dropped: {}", ctx.id(), to, e.getMessage());
        });
        return status[0];
    }

    // ------------------------------------------------------------------ requests

    CompletableFuture<Message> request(String from, String to, Object payload, Duration timeout) {
        Message m = toMessage(payload);
        CompletableFuture<Message> f = new CompletableFuture<>();
        locator.routeWithin(to, timeout, f, (host, cached) -> {
            long s = pending.register(Pending.Kind.REQUEST, f, host, to, from,
                    ctx.clock().nanoTime() + timeout.toNanos(), null);
            Message out = m.withHeaders(m.headers().withAll(Headers.FROM, from, Headers.TO, to,
                    Headers.REPLY_TO, ctx.id(), Headers.CORRELATION_ID, Long.toString(s),
                    BusOps.OP, BusOps.REQUEST + s));
            if (host.equals(ctx.id())) {
                Peer target = peers.get(to);
                if (target == null) {
                    pending.fail(s, notFound(to));
                    return;
                }
                target.inbox().offer(() -> delivery.deliverRequest(target, from, out, ctx.id(), s), null, true,
                        why -> pending.fail(s, new BackPressureException(why)), false);
                return;
            }
            SendStatus st = ctx.carrier().send(host, out);
            if (!st.accepted()) {
                locator.evict(to);
                pending.fail(s, new PeerUnreachableException("Peer unreachable (id: " + to + ", host: " + host
                        + "): " + st));
            }
        });
        return f;
    }

    CompletableFuture<Void> reply(String from, Message request, Object payload) {
        String host = request.header(Headers.REPLY_TO);
        String corr = request.header(Headers.CORRELATION_ID);
        String to = request.header(Headers.FROM);
        if (host == null || corr == null || to == null) {
            return CompletableFuture.failedFuture(new IllegalArgumentException(
                    "request: not a request (it has no replyTo/correlationId/from headers)"));
        }
        Message m = toMessage(payload);
        Message out = m.withHeaders(m.headers().withAll(Headers.FROM, from, Headers.TO, to,
                Headers.CORRELATION_ID, corr, BusOps.OP, BusOps.REPLY + corr));
        if (host.equals(ctx.id())) {
            long s = BusOps.seq(corr, 0);
            if (s >= 0) {
                pending.complete(s, out);
            }
            return CompletableFuture.completedFuture(null);
        }
        SendStatus st = ctx.carrier().send(host, out);
        return st.accepted() ? CompletableFuture.completedFuture(null)
                : CompletableFuture.failedFuture(new PeerUnreachableException("host " + host + " of requester "
                + to + " is unreachable: " + st));
    }

    // ------------------------------------------------------------------ broadcast and peer patterns

    void broadcast(String from, Peer exclude, Object payload) {
        Message m = toMessage(payload);
        Message out = m.withHeaders(m.headers().withAll(Headers.FROM, from, BusOps.OP, BusOps.BROADCAST));
        ctx.carrier().send(membership.memberIds(), out);
        delivery.toAll(from, out, exclude, null);
    }

    void sendToPattern(String from, String pattern, Object payload) {
        String[] tokens = Subjects.tokens(pattern, true);
        Message m = toMessage(payload);
        Message out = m.withHeaders(m.headers().withAll(Headers.FROM, from, Headers.TO, pattern,
                BusOps.OP, BusOps.PATTERN));
        ctx.carrier().send(membership.memberIds(), out);
        delivery.toPattern(tokens, from, out, null);
    }
}

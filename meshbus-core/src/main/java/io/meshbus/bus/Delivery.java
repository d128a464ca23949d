package io.meshbus.bus;

import io.meshbus.bus.protocol.BusContext;
import io.meshbus.bus.protocol.BusOps;
import io.meshbus.bus.request.PendingOps;
import io.meshbus.error.ErrorCode;
import io.meshbus.error.MeshbusException;
import io.meshbus.message.Message;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Handing messages to local peers' listeners, the last step of every mode. Invariant: a listener's exception never
 * escapes (it is logged; for a request it fails the request at once with its text).
 *
 * <p>Threads: runs in the peer's {@link ConsumerQueue}, one message at a time per peer.
 */
final class Delivery {
    private static final Logger LOG = LoggerFactory.getLogger(Delivery.class);

    private final BusContext ctx;
    private final LocalPeers peers;
    private final PendingOps pending;

    Delivery(BusContext ctx, LocalPeers peers, PendingOps pending) {
        this.ctx = ctx;
        this.peers = peers;
        this.pending = pending;
    }

    void deliver(Peer target, String from, Message m) {
        ctx.metrics().delivered.increment();
        for (PeerListener l : target.listeners()) {
            try {
                l.onMessage(from, m);
            } catch (Throwable t) {
                LOG.warn("listener of peer {} failed on a message from {}", target.id(), from, t);
            }
        }
    }

    /** A request: a listener that throws fails it at once, with its text, wherever the requester is. */
    void deliverRequest(Peer target, String from, Message m, String replyHost, long s) {
        ctx.metrics().delivered.increment();
        for (PeerListener l : target.listeners()) {
            try {
                l.onMessage(from, m);
            } catch (Throwable t) {
                LOG.warn("listener of peer {} failed on a request from {}", target.id(), from, t);
                String text = "handler of peer " + target.id() + " failed: " + t;
                if (replyHost.equals(ctx.id())) {
                    pending.fail(s, MeshbusException.of(ErrorCode.REMOTE_FAILURE, text));
                } else {
                    ctx.carrier().send(replyHost, BusOps.error(Long.toString(s), ErrorCode.REMOTE_FAILURE, text));
                }
                return;
            }
        }
    }

    /** Broadcast: to every local peer but {@code exclude}, at most once. */
    void toAll(String from, Message m, Peer exclude, String via) {
        for (Peer p : peers.all()) {
            if (p != exclude) {
                atMostOnce(p, from, m, via);
            }
        }
    }

    /** To every local peer whose id matches the pattern, at most once (linear in local peers: no index is kept). */
    void toPattern(String[] pattern, String from, Message m, String via) {
        for (Peer p : peers.all()) {
            if (Subjects.idMatches(pattern, p.id())) {
                atMostOnce(p, from, m, via);
            }
        }
    }

    /** {@code via} is the remote host that brought it (null: sent here); a drop is counted by the queue. */
    private void atMostOnce(Peer p, String from, Message m, String via) {
        p.inbox().offer(() -> deliver(p, from, m), via, true, null, via != null);
    }
}

package io.meshbus.node;

import io.meshbus.error.ErrorCode;
import io.meshbus.wire.Frame;
import io.netty.channel.ChannelFutureListener;
import java.net.URI;
import java.util.ArrayList;
import java.util.List;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Decides which link of a remote is active. The smaller id of a pair arbitrates (see PROTOCOL.md): a new link wins
 * when no live link exists, when the remote restarted (a new incarnation) or when it asks to replace a link it lost;
 * otherwise it is refused as a duplicate. The other side activates what the arbiter accepted, replacing its older
 * link. A dial refused as a duplicate waits for the link the arbiter kept, and dials again with REPLACE if none comes.
 *
 * <p>Invariants: at most one active link per remote; every change of a remote's link is made under the remote's
 * monitor, and its connect event is posted to the remote's serial executor inside that section, so events reach
 * listeners in the order the changes happened.
 *
 * <p>Threads: arbitrate and activate run on the deciding link's event loop; the duplicate wait runs on the scheduler.
 */
final class LinkArbiter {
    private static final Logger LOG = LoggerFactory.getLogger(LinkArbiter.class);

    private final String nodeId;
    private final long incarnation;
    private final NodeOptions options;
    private final NodeMetrics metrics;
    private final Remotes remotes;
    private final NodeEvents events;
    private final RemoteDrainer drainer;
    private final Scheduler scheduler;
    /** The address this node advertises in its ACCEPT ("" for a pure client); known once it listens. */
    private final Supplier<String> advertised;
    private final BooleanSupplier closed;
    private final Dialler dialler;

    LinkArbiter(String nodeId, long incarnation, NodeOptions options, NodeMetrics metrics, Remotes remotes,
                NodeEvents events, RemoteDrainer drainer, Scheduler scheduler, Supplier<String> advertised,
                BooleanSupplier closed, Dialler dialler) {
        this.nodeId = nodeId;
        this.incarnation = incarnation;
        this.options = options;
        this.metrics = metrics;
        this.remotes = remotes;
        this.events = events;
        this.drainer = drainer;
        this.scheduler = scheduler;
        this.advertised = advertised;
        this.closed = closed;
        this.dialler = dialler;
    }

    /**
     * This node is the smaller id of the pair, so it decides: the new link wins when no live link exists, when the
     * other side restarted (new incarnation), or when it asks to replace a link it has lost; otherwise the new link
     * is refused as a duplicate and the existing one stays.
     */
    void arbitrate(NodeLink link, String remoteId, long inc, String address, boolean remoteKeeps, boolean replace) {
        assert link.ch.eventLoop().inEventLoop();
        remotes.underLive(remoteId, r -> {
            NodeLink current = r.active;
            boolean accept = current == null || current.state != NodeLink.State.ACTIVE || r.incarnation != inc
                    || replace;
            if (!accept) {
                metrics.duplicateLinks.increment();
                link.state = NodeLink.State.CLOSING;
                if (link.dial != null) {
                    link.dial.succeed(remoteId);
                }
                link.ch.writeAndFlush(new Frame.Reject(ErrorCode.DUPLICATE_LINK, "node " + nodeId
                        + " already has a link to node " + remoteId, nodeId)).addListener(ChannelFutureListener.CLOSE);
                return;
            }
            link.ch.write(new Frame.Accept(nodeId, incarnation, advertised.get(), r.keptLocal || keepFlag(link)));
            activateLocked(r, link, inc, address, remoteKeeps);
        });
    }

    private static boolean keepFlag(NodeLink link) {
        return link.dial != null && link.dial.keep();
    }

    /** The other side arbitrated and kept this link: make it active, replacing any older one. */
    void activate(NodeLink link, String remoteId, long inc, String address, boolean remoteKeeps) {
        assert link.ch.eventLoop().inEventLoop();
        remotes.underLive(remoteId, r -> activateLocked(r, link, inc, address, remoteKeeps));
    }

    private void activateLocked(Remote r, NodeLink link, long inc, String address, boolean remoteKeeps) {
        NodeLink old = r.active;
        boolean restarted = r.incarnation != 0 && r.incarnation != inc;
        boolean reconnect = r.everConnected;
        if (closed.getAsBoolean()) {
            link.goodbye(ErrorCode.CLOSED, "node " + nodeId + " is closing");
            return;
        }
        r.incarnation = inc;
        if (link.dial != null) {
            r.address = link.dial.uri();
            r.keptLocal |= link.dial.keep();
        } else if (!address.isEmpty()) {
            try {
                r.address = URI.create(address);
            } catch (IllegalArgumentException e) {
                LOG.warn("node {} advertises an address that is not a URI: {}", r.id, address);
            }
        }
        r.keptRemote = remoteKeeps;
        r.downSince = 0;
        r.everConnected = true;
        if (r.reconnectTask != null) {
            r.reconnectTask.cancel(false);
            r.reconnectTask = null;
        }
        if (!reconnect) {
            // A first link, or one after this node forgot the remote: a TALLY on it counts from a meeting the remote
            // may remember (its first link broke before this side saw it, or this side forgot it), so it measures
            // losses from what was received then.
            Remotes.Forgotten f = remotes.recall(r.id);
            boolean same = f != null && f.incarnation() == inc;
            r.received.set(same ? f.received() : 0);
            if (same) {
                r.queue.continueCount(f.sent());
            }
        }
        if (restarted) {
            r.queue.restartCount();
            r.received.set(0);
        } else if (reconnect) {
            // Behind what is still queued: the receiver learns exactly how many the broken link lost.
            r.queue.offerTally(true);
        }
        r.active = link;
        link.activated(r);
        link.ch.flush();
        if (old != null && old != link) {
            metrics.duplicateLinks.increment();
            old.goodbye(ErrorCode.DUPLICATE_LINK, "replaced by a newer link");
        }
        List<Runnable> waiting = new ArrayList<>(r.onActive);
        r.onActive.clear();
        waiting.forEach(Runnable::run);
        URI addr = r.address;
        LOG.debug("node {} linked to {} ({}{})", nodeId, r.id, addr, restarted ? ", restarted" : "");
        events.connected(r, new NodeListener.ConnectEvent(r.id, inc, addr, reconnect, restarted));
        drainer.signalDrain(r);
    }

    /**
     * A dial was refused as a duplicate: the other side (the arbiter) has or is about to confirm another link. Wait
     * for it; if none becomes active within the handshake timeout, this side has lost its link while the other still
     * believes in it, so dial again asking to replace it.
     */
    void awaitDuplicate(DialContext d, String remoteId) {
        metrics.duplicateLinks.increment();
        Remote r = remotes.obtain(remoteId);
        synchronized (r) {
            if (r.active != null && r.active.state == NodeLink.State.ACTIVE) {
                d.succeed(remoteId);
                return;
            }
            r.onActive.add(() -> d.succeed(remoteId));
        }
        scheduler.schedule(() -> {
            if (d.result().isDone() || closed.getAsBoolean()) {
                return;
            }
            dialler.dial(d.uri(), remoteId, d.keep(), true).whenComplete((rid, err) -> {
                if (err != null) {
                    d.fail(Node.unwrap(err));
                } else {
                    d.succeed(rid);
                }
            });
        }, options.handshakeTimeout().toNanos());
    }

    /** The other side says whether it keeps the link (KEEP frame). */
    void remoteKeep(NodeLink link, boolean keep) {
        Remote r = link.remote;
        if (r == null) {
            return; // closing before it was ever active: nothing is kept
        }
        synchronized (r) {
            r.keptRemote = keep;
        }
    }
}

package io.meshbus.node;

import io.meshbus.error.ClosedException;
import io.meshbus.error.ErrorCode;
import io.meshbus.error.MeshbusException;
import io.meshbus.error.PeerUnreachableException;
import java.net.URI;
import java.util.function.BooleanSupplier;
import java.util.function.LongSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The watchdog of kept links (Lettuce's {@code ConnectionWatchdog} role): notices that a remote's active link went
 * down, decides whether to wait for it, re-dials it with the reconnect {@link Delay} while this side keeps it, gives
 * the remote up after {@code reconnectGiveUp} without a link, and closes links nobody keeps once they are idle.
 *
 * <p>Invariants: a remote that is down is either waited for (kept by either side: its queue holds until a link
 * returns or the give-up time passes) or forgotten at once with its queue failed; only one reconnect attempt is
 * scheduled per remote at a time; a give-up applies only to the outage it was armed for.
 *
 * <p>Threads: any (event loops report losses, the scheduler runs attempts and give-ups); a remote's state changes
 * under its monitor; its events are posted to its serial executor.
 */
final class Reconnector {
    private static final Logger LOG = LoggerFactory.getLogger(Reconnector.class);

    private final String nodeId;
    private final NodeOptions options;
    private final NodeMetrics metrics;
    private final Remotes remotes;
    private final NodeEvents events;
    private final RemoteDrainer drainer;
    private final Scheduler scheduler;
    private final LongSupplier clock;
    private final BooleanSupplier closed;
    private final Dialler dialler;

    Reconnector(String nodeId, NodeOptions options, NodeMetrics metrics, Remotes remotes, NodeEvents events,
                RemoteDrainer drainer, Scheduler scheduler, LongSupplier nanoClock, BooleanSupplier closed,
                Dialler dialler) {
        this.nodeId = nodeId;
        this.options = options;
        this.metrics = metrics;
        this.remotes = remotes;
        this.events = events;
        this.drainer = drainer;
        this.scheduler = scheduler;
        this.clock = nanoClock;
        this.closed = closed;
        this.dialler = dialler;
    }

    /** The link stopped carrying traffic (goodbye, failure, close). If it was its remote's active link, act on it. */
    void linkDown(NodeLink link, MeshbusException cause) {
        Remote r = link.remote;
        if (r == null) {
            return;
        }
        boolean reconnecting;
        long since;
        synchronized (r) {
            if (r.active != link) {
                return;
            }
            r.active = null;
            reconnecting = !closed.getAsBoolean() && (r.keptLocal || r.keptRemote);
            since = clock.getAsLong();
            if (reconnecting) {
                r.downSince = since;
                if (r.keptLocal) {
                    scheduleReconnect(r, 1);
                }
            } else {
                remotes.forget(r);
            }
        }
        LOG.debug("node {} lost link to {}: {} (reconnecting: {})", nodeId, r.id, cause.getMessage(), reconnecting);
        events.disconnected(r, new NodeListener.DisconnectEvent(r.id, cause, reconnecting));
        if (reconnecting) {
            scheduler.schedule(() -> giveUp(r, since), options.reconnectGiveUp().toNanos());
        } else {
            drainer.failQueue(r, cause instanceof ClosedException ? cause
                    : new PeerUnreachableException("link to node " + r.id + " lost: " + cause.getMessage(), cause));
        }
    }

    /** Under the remote's monitor. */
    private void scheduleReconnect(Remote r, int attempt) {
        long delay = options.reconnectDelay().delay(attempt).toNanos();
        r.reconnectTask = scheduler.schedule(() -> reconnect(r, attempt), delay);
    }

    private void reconnect(Remote r, int attempt) {
        URI addr;
        synchronized (r) {
            if (r.gone || r.active != null || closed.getAsBoolean() || !r.keptLocal || r.address == null) {
                return;
            }
            addr = r.address;
        }
        metrics.reconnectAttempts.increment();
        dialler.dial(addr, r.id, true, false).whenComplete((rid, err) -> {
            if (err == null) {
                return;
            }
            synchronized (r) {
                if (!r.gone && r.active == null && !closed.getAsBoolean()) {
                    LOG.debug("node {}: reconnect {} to {} failed: {}", nodeId, attempt, r.id, err.getMessage());
                    scheduleReconnect(r, attempt + 1);
                }
            }
        });
    }

    private void giveUp(Remote r, long since) {
        synchronized (r) {
            if (r.gone || r.active != null || r.downSince != since) {
                return;
            }
            remotes.forget(r);
        }
        metrics.givenUp.increment();
        PeerUnreachableException cause = new PeerUnreachableException("gave up on node " + r.id + " after "
                + options.reconnectGiveUp().toMillis() + " ms without a link");
        LOG.info("node {}: {}", nodeId, cause.getMessage());
        events.disconnected(r, new NodeListener.DisconnectEvent(r.id, cause, false));
        drainer.failQueue(r, cause);
    }

    /** Closes a link neither side keeps once it carried no data for {@code reapIdleUnkept}. */
    void reapIfIdle(NodeLink link, long lastDataNanos) {
        Remote r = link.remote;
        if (r == null || clock.getAsLong() - lastDataNanos < options.reapIdleUnkept().toNanos()) {
            return;
        }
        synchronized (r) {
            if (r.keptLocal || r.keptRemote || r.active != link) {
                return;
            }
        }
        LOG.debug("node {}: closing idle link to {} that nobody keeps", nodeId, r.id);
        link.goodbye(ErrorCode.CLOSED, "idle link that nobody keeps");
    }
}

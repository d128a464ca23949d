package io.meshbus.node;

import io.meshbus.error.BackPressureException;
import io.meshbus.internal.RateLimitedLog;
import io.netty.channel.Channel;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.BooleanSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The node's open connections and the limits on those dialled in: links at once ({@code maxConnections}), links
 * from one address ({@code maxConnectionsPerAddress}) and links still in their handshake
 * ({@code maxPendingHandshakes}, so connections that prove nothing cannot take the places of live links). Only the
 * connection over a limit is refused; the links already up are never touched. Links this node dials count in the
 * total but are never refused.
 *
 * <p>Invariant: a connection is counted from its channel's activation until it closes, and what closing gives back
 * is exactly what opening counted.
 *
 * <p>Threads: any; the counts are concurrent. A link's own {@link Admission} is touched only on its event loop.
 */
final class ConnectionLimits {
    private static final Logger LOG = LoggerFactory.getLogger(ConnectionLimits.class);

    private final String nodeId;
    private final NodeOptions options;
    private final NodeMetrics metrics;
    private final BooleanSupplier closing;
    private final RateLimitedLog warnings;
    private final Set<Channel> open = ConcurrentHashMap.newKeySet();
    private final ConcurrentHashMap<InetAddress, Integer> perAddress = new ConcurrentHashMap<>();

    ConnectionLimits(String nodeId, NodeOptions options, NodeMetrics metrics, RateLimitedLog warnings,
                     BooleanSupplier closing) {
        this.nodeId = nodeId;
        this.options = options;
        this.metrics = metrics;
        this.closing = closing;
        this.warnings = warnings;
    }

    /** What one accepted link was counted under, so that closing it gives back exactly that. */
    static final class Admission {
        /** The remote address counted for the per-address limit, or null. */
        final InetAddress address;
        /** Counted among the pending handshakes, until it completes or the link closes; event loop only. */
        boolean handshaking = true;

        Admission(InetAddress address) {
            this.address = address;
        }
    }

    /** Counts a link whose channel is up; closes it when the node is closing, refuses it over a limit. */
    void opened(NodeLink link) {
        open.add(link.ch);
        metrics.linksOpened.increment();
        if (closing.getAsBoolean()) {
            link.ch.close();
            return;
        }
        if (link.dial == null) {
            BackPressureException over = admit(link);
            if (over != null) {
                metrics.connectionsRefused.increment();
                link.refuse(over);
            }
        }
    }

    /** Counts a link dialled in against the limits; returns the refusal (logged) when one is exceeded, or null. */
    private BackPressureException admit(NodeLink link) {
        InetAddress from = link.ch.remoteAddress() instanceof InetSocketAddress a ? a.getAddress() : null;
        int fromThere = from == null ? 0 : perAddress.merge(from, 1, Integer::sum);
        link.admission = new Admission(from);
        int pending = metrics.pendingHandshakes.incrementAndGet();
        int links = open.size();
        if (pending > options.maxPendingHandshakes()) {
            metrics.pendingHandshakesRefused.increment();
            warnings.warn(LOG, NodeLink.from(link.ch), "node {}: refusing a connection from {}: {} connections in "
                    + "their handshake exceed the limit ({})", nodeId, from, pending, options.maxPendingHandshakes());
            return new BackPressureException("node " + nodeId + " has too many connections in their handshake");
        }
        if (links <= options.maxConnections() && fromThere <= options.maxConnectionsPerAddress()) {
            return null;
        }
        warnings.warn(LOG, NodeLink.from(link.ch), "node {}: refusing a connection from {}: {} links ({} from that "
                + "address) exceed the limits ({} / {})", nodeId, from, links, fromThere, options.maxConnections(),
                options.maxConnectionsPerAddress());
        return new BackPressureException("node " + nodeId + " has too many connections"
                + (fromThere > options.maxConnectionsPerAddress() ? " from " + from : ""));
    }

    /** The link's handshake completed: it no longer counts among the pending ones. */
    void handshakeDone(NodeLink link) {
        Admission a = link.admission;
        if (a != null && a.handshaking) {
            a.handshaking = false;
            metrics.pendingHandshakes.decrementAndGet();
        }
    }

    /** Gives back what {@link #opened} counted for this link. */
    void closed(NodeLink link) {
        open.remove(link.ch);
        handshakeDone(link);
        Admission a = link.admission;
        if (a != null && a.address != null) {
            perAddress.computeIfPresent(a.address, (k, v) -> v == 1 ? null : v - 1);
        }
        metrics.linksClosed.increment();
    }

    /** The channels open now (a live view). */
    Set<Channel> channels() {
        return open;
    }
}

package io.meshbus.node;

import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.LongAdder;

/**
 * Counters of a node: traffic, and every failure or drop, so nothing fails silently. Counted per batch on hot paths.
 */
public final class NodeMetrics {
    final LongAdder messagesSent = new LongAdder();
    final LongAdder messagesReceived = new LongAdder();
    final LongAdder linksOpened = new LongAdder();
    final LongAdder linksClosed = new LongAdder();
    final LongAdder protocolViolations = new LongAdder();
    final LongAdder framesTooLarge = new LongAdder();
    /** Of those, frames larger than the handshake allows, sent before the handshake completed. */
    final LongAdder handshakeFramesTooLarge = new LongAdder();
    final LongAdder handshakeTimeouts = new LongAdder();
    final LongAdder handshakesRejected = new LongAdder();
    final LongAdder idleTimeouts = new LongAdder();
    final LongAdder duplicateLinks = new LongAdder();
    final LongAdder selfConnections = new LongAdder();
    final LongAdder reconnectAttempts = new LongAdder();
    final LongAdder givenUp = new LongAdder();
    final LongAdder sendsBackPressured = new LongAdder();
    final LongAdder messagesDropped = new LongAdder();
    final LongAdder messagesFailed = new LongAdder();
    /** Data messages a remote sent that never arrived here: lost with broken links (from TALLY frames). */
    final LongAdder messagesLostInFlight = new LongAdder();
    final LongAdder listenerErrors = new LongAdder();
    final LongAdder authenticationFailures = new LongAdder();
    final LongAdder connectionsRefused = new LongAdder();
    /** Of those, refused because {@code maxPendingHandshakes} connections were still in their handshake. */
    final LongAdder pendingHandshakesRefused = new LongAdder();
    /** A gauge: connections dialled in whose handshake has not completed yet. */
    final AtomicInteger pendingHandshakes = new AtomicInteger();
    /** Failures of this node's own code on a link (a bug): the link is closed and the error logged. */
    final LongAdder internalErrors = new LongAdder();
    /** Sends refused because the node's memory budget was full. */
    final LongAdder memoryBudgetRefusals = new LongAdder();
    /** Queues of remotes that were down, released to make room under the memory budget. */
    final LongAdder queuesShed = new LongAdder();
    /** Listeners that held an I/O thread past the blocked-thread bound (with deliverOnIoThread), once per overrun. */
    final LongAdder ioThreadBlocked = new LongAdder();
    /** Warnings about remotes left out of the log by its per-address rate limit (each still counted elsewhere). */
    final LongAdder warningsSuppressed = new LongAdder();

    NodeMetrics() {
    }

    public long messagesSent() {
        return messagesSent.sum();
    }

    public long messagesReceived() {
        return messagesReceived.sum();
    }

    public long protocolViolations() {
        return protocolViolations.sum();
    }

    public long framesTooLarge() {
        return framesTooLarge.sum();
    }

    public long handshakeFramesTooLarge() {
        return handshakeFramesTooLarge.sum();
    }

    public long handshakeTimeouts() {
        return handshakeTimeouts.sum();
    }

    public long handshakesRejected() {
        return handshakesRejected.sum();
    }

    public long idleTimeouts() {
        return idleTimeouts.sum();
    }

    public long duplicateLinks() {
        return duplicateLinks.sum();
    }

    public long selfConnections() {
        return selfConnections.sum();
    }

    public long reconnectAttempts() {
        return reconnectAttempts.sum();
    }

    public long messagesDropped() {
        return messagesDropped.sum();
    }

    public long sendsBackPressured() {
        return sendsBackPressured.sum();
    }

    public long connectionsRefused() {
        return connectionsRefused.sum();
    }

    /** Connections dialled in that are still in their handshake, now. */
    public int pendingHandshakes() {
        return pendingHandshakes.get();
    }

    public long pendingHandshakesRefused() {
        return pendingHandshakesRefused.sum();
    }

    public long authenticationFailures() {
        return authenticationFailures.sum();
    }

    public long internalErrors() {
        return internalErrors.sum();
    }

    public long listenerErrors() {
        return listenerErrors.sum();
    }

    public long ioThreadBlocked() {
        return ioThreadBlocked.sum();
    }

    public long warningsSuppressed() {
        return warningsSuppressed.sum();
    }

    /** All counters by name, for logs and status pages. */
    public Map<String, Long> snapshot() {
        Map<String, Long> m = new TreeMap<>();
        m.put("messagesSent", messagesSent.sum());
        m.put("messagesReceived", messagesReceived.sum());
        m.put("linksOpened", linksOpened.sum());
        m.put("linksClosed", linksClosed.sum());
        m.put("protocolViolations", protocolViolations.sum());
        m.put("framesTooLarge", framesTooLarge.sum());
        m.put("handshakeFramesTooLarge", handshakeFramesTooLarge.sum());
        m.put("handshakeTimeouts", handshakeTimeouts.sum());
        m.put("handshakesRejected", handshakesRejected.sum());
        m.put("idleTimeouts", idleTimeouts.sum());
        m.put("duplicateLinks", duplicateLinks.sum());
        m.put("selfConnections", selfConnections.sum());
        m.put("reconnectAttempts", reconnectAttempts.sum());
        m.put("givenUp", givenUp.sum());
        m.put("sendsBackPressured", sendsBackPressured.sum());
        m.put("messagesDropped", messagesDropped.sum());
        m.put("messagesFailed", messagesFailed.sum());
        m.put("messagesLostInFlight", messagesLostInFlight.sum());
        m.put("listenerErrors", listenerErrors.sum());
        m.put("authenticationFailures", authenticationFailures.sum());
        m.put("connectionsRefused", connectionsRefused.sum());
        m.put("pendingHandshakes", (long) pendingHandshakes.get());
        m.put("pendingHandshakesRefused", pendingHandshakesRefused.sum());
        m.put("internalErrors", internalErrors.sum());
        m.put("memoryBudgetRefusals", memoryBudgetRefusals.sum());
        m.put("queuesShed", queuesShed.sum());
        m.put("warningsSuppressed", warningsSuppressed.sum());
        m.put("ioThreadBlocked", ioThreadBlocked.sum());
        return m;
    }

    @Override
    public String toString() {
        return snapshot().toString();
    }
}

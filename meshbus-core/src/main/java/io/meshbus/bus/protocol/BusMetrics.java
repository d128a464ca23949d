package io.meshbus.bus.protocol;

import java.util.Map;
import java.util.concurrent.atomic.LongAdder;

/**
 * The bus's own counters, shared by its rooms (each room counts what it sees; the host reports them all in
 * {@code Host.metrics()}). The node's counters are in {@code node().metrics()}.
 */
public final class BusMetrics {
    /** Messages handed to a local peer's listeners. */
    public final LongAdder delivered = new LongAdder();
    /** Sends, requests and lookups for a peer that does not exist. */
    public final LongAdder notFound = new LongAdder();
    /** Directory lookups sent to owner hosts (or the broker's directory). */
    public final LongAdder lookupMessages = new LongAdder();
    /** Fire-and-forget messages that could not be delivered (no such peer, no link, no group member). */
    public final LongAdder dropped = new LongAdder();
    /** Bus messages from a host that is not a member, or that are not bus messages: dropped. */
    public final LongAdder strangers = new LongAdder();
    /** Operations the authorizer refused. */
    public final LongAdder denied = new LongAdder();
    /** Registrations and subscriptions past a member's limit, refused. */
    public final LongAdder limitRefusals = new LongAdder();
    /** Local peers removed because the network gave their id to a peer on another host. */
    public final LongAdder peerIdsLost = new LongAdder();

    /** Every counter under its name, as {@code Host.metrics()} reports it. */
    public void putAll(Map<String, Long> into) {
        into.put("delivered", delivered.sum());
        into.put("notFound", notFound.sum());
        into.put("lookupMessages", lookupMessages.sum());
        into.put("dropped", dropped.sum());
        into.put("strangers", strangers.sum());
        into.put("denied", denied.sum());
        into.put("limitRefusals", limitRefusals.sum());
        into.put("peerIdsLost", peerIdsLost.sum());
    }
}

package io.meshbus.bus.carrier;

import io.meshbus.bus.Backplane;
import io.meshbus.bus.protocol.HostCarrier;
import io.meshbus.node.Node;
import java.net.URI;
import java.util.Collection;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;

/**
 * A host's carrier with its life cycle: a mesh of node links ({@link MeshCarrier}) or a broker
 * ({@link BackplaneCarrier}). Invariant: this is the only type whose implementations know which one a host runs on;
 * the host and its rooms ask it, they never test for a backplane.
 */
public interface Carrier extends HostCarrier {
    /** The carrier for a host: its backplane when it has one, else its node's links. */
    static Carrier of(Node node, Backplane backplane, Executor executor) {
        return backplane == null ? new MeshCarrier(node) : new BackplaneCarrier(node, backplane, executor);
    }

    /** Starts reporting to {@code events}; called once, before {@link #start}. */
    void attach(LinkEvents events);

    /**
     * Starts carrying. Completes with the hosts that are members at once (a broker's live hosts; none on a mesh,
     * where members arrive by joining).
     */
    CompletableFuture<Collection<String>> start(String hostId, long incarnation);

    /** Dials a host of the network; completes with its id once linked. */
    CompletableFuture<String> dial(URI address);

    /** True when the carrier itself is the rendezvous (a broker): joining needs no seeds. */
    boolean brokered();

    /** The backplane when it carries channels itself, else null. */
    Backplane nativeChannels();

    /** The backplane when it holds the peer directory itself, else null. */
    Backplane nativeDirectory();

    /** Whether links from a host can be paused (a broker cannot be told to stop). */
    boolean canPause();

    void pause(String host);

    void resume(String host);

    /** The carrier's own counters, added to the host's metrics. */
    void metrics(Map<String, Long> into);

    CompletableFuture<Void> close();
}

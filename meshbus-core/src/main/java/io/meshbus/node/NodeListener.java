package io.meshbus.node;

import java.net.URI;

/**
 * Link events. Methods run on the node's executor, ordered with the messages of the same remote node: a connect event
 * comes before that link's first message, a disconnect event after its last.
 */
public interface NodeListener {
    /** The node listens on {@code address} (one call per listen URI). */
    default void onListening(URI address) {
    }

    /** A link to a remote node completed its handshake. */
    default void onConnect(ConnectEvent event) {
    }

    /**
     * A link went down. When {@link DisconnectEvent#reconnecting()} is true the node waits for the link to come back
     * (re-dialling itself if it keeps the remote); a final event with {@code reconnecting == false} follows if it
     * gives up. A final event means the remote is forgotten and its queued messages have failed.
     */
    default void onDisconnect(DisconnectEvent event) {
    }

    /** A remote node's handshake: who answered. */
    record ConnectEvent(String id, long incarnation, URI address, boolean reconnect, boolean restarted) {
    }

    /** A link that went down, and why. */
    record DisconnectEvent(String id, RuntimeException cause, boolean reconnecting) {
    }
}

package io.meshbus.compat;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.net.URI;

/** Events of a {@link MasterlessNode}, masterless's four events; run in order on the node's event thread. */
public interface MasterlessListener {
    default void onListening(URI info) {
    }

    /** A handshake completed (not repeated after an automatic reconnect, as in masterless). */
    default void onConnect(String id, URI info) {
    }

    default void onDisconnect(String id) {
    }

    /** An application packet: always a JSON object, as masterless requires. */
    default void onMessage(String from, ObjectNode packet) {
    }

    /** A link was closed because of what the other side sent (typed: ProtocolViolation, FrameTooLarge). */
    default void onProtocolError(String id, RuntimeException error) {
    }
}

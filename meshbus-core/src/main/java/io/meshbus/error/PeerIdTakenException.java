package io.meshbus.error;

/**
 * A peer id is held by another peer of the network: a create that found it taken, or a peer that lost its id when two
 * parts of a network that each had one met (the network's {@code PeerIdResolver} chose the other).
 */
public class PeerIdTakenException extends MeshbusException {
    public PeerIdTakenException(String message) {
        super(ErrorCode.PEER_ID_TAKEN, message);
    }
}

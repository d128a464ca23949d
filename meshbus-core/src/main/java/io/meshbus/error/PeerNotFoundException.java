package io.meshbus.error;

/** No node or peer with that id is known. */
public class PeerNotFoundException extends MeshbusException {
    public PeerNotFoundException(String message) {
        super(ErrorCode.PEER_NOT_FOUND, message);
    }

    public PeerNotFoundException(String message, Throwable cause) {
        super(ErrorCode.PEER_NOT_FOUND, message, cause);
    }
}

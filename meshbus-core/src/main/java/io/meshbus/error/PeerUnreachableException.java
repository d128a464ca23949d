package io.meshbus.error;

/**
 * The peer is known but cannot be reached: its link broke, went silent past the idle timeout, or reconnecting gave
 * up.
 */
public class PeerUnreachableException extends MeshbusException {
    public PeerUnreachableException(String message) {
        super(ErrorCode.PEER_UNREACHABLE, message);
    }

    public PeerUnreachableException(String message, Throwable cause) {
        super(ErrorCode.PEER_UNREACHABLE, message, cause);
    }
}

package io.meshbus.error;

/** An address answered with another node id than the one expected (a reconnect found somebody else). */
public class UnexpectedPeerException extends MeshbusException {
    public UnexpectedPeerException(String message) {
        super(ErrorCode.UNEXPECTED_PEER, message);
    }

    public UnexpectedPeerException(String message, Throwable cause) {
        super(ErrorCode.UNEXPECTED_PEER, message, cause);
    }
}

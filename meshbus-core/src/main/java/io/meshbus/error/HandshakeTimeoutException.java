package io.meshbus.error;

/** A link did not finish its handshake in time (for example a peer that connects and says nothing). */
public class HandshakeTimeoutException extends MeshbusException {
    public HandshakeTimeoutException(String message) {
        super(ErrorCode.HANDSHAKE_TIMEOUT, message);
    }

    public HandshakeTimeoutException(String message, Throwable cause) {
        super(ErrorCode.HANDSHAKE_TIMEOUT, message, cause);
    }
}

package io.meshbus.error;

/** The other side belongs to a different network id. */
public class NetworkIdMismatchException extends MeshbusException {
    public NetworkIdMismatchException(String message) {
        super(ErrorCode.NETWORK_ID_MISMATCH, message);
    }

    public NetworkIdMismatchException(String message, Throwable cause) {
        super(ErrorCode.NETWORK_ID_MISMATCH, message, cause);
    }
}

package io.meshbus.error;

/** The node, host or link was closed while the operation was pending, or before it started. */
public class ClosedException extends MeshbusException {
    public ClosedException(String message) {
        super(ErrorCode.CLOSED, message);
    }

    public ClosedException(String message, Throwable cause) {
        super(ErrorCode.CLOSED, message, cause);
    }
}

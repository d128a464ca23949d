package io.meshbus.error;

/** A node dialled an address that answered with its own id. */
public class SelfConnectionException extends MeshbusException {
    public SelfConnectionException(String message) {
        super(ErrorCode.SELF_CONNECTION, message);
    }

    public SelfConnectionException(String message, Throwable cause) {
        super(ErrorCode.SELF_CONNECTION, message, cause);
    }
}

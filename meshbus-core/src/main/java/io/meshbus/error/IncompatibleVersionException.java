package io.meshbus.error;

/** The two ends speak protocol versions that cannot talk to each other; the handshake names both. */
public class IncompatibleVersionException extends MeshbusException {
    public IncompatibleVersionException(String message) {
        super(ErrorCode.INCOMPATIBLE_VERSION, message);
    }

    public IncompatibleVersionException(String message, Throwable cause) {
        super(ErrorCode.INCOMPATIBLE_VERSION, message, cause);
    }
}

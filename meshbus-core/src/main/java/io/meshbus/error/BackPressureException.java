package io.meshbus.error;

/** A bounded queue was full and its policy is to refuse rather than drop. */
public class BackPressureException extends MeshbusException {
    public BackPressureException(String message) {
        super(ErrorCode.BACK_PRESSURE, message);
    }

    public BackPressureException(String message, Throwable cause) {
        super(ErrorCode.BACK_PRESSURE, message, cause);
    }
}

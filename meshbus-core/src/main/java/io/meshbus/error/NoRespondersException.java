package io.meshbus.error;

/** A request found nobody to answer it. */
public class NoRespondersException extends MeshbusException {
    public NoRespondersException(String message) {
        super(ErrorCode.NO_RESPONDERS, message);
    }

    public NoRespondersException(String message, Throwable cause) {
        super(ErrorCode.NO_RESPONDERS, message, cause);
    }
}

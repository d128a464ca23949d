package io.meshbus.error;

/** No answer or confirmation arrived within the timeout. */
public class RequestTimeoutException extends MeshbusException {
    public RequestTimeoutException(String message) {
        super(ErrorCode.REQUEST_TIMEOUT, message);
    }

    public RequestTimeoutException(String message, Throwable cause) {
        super(ErrorCode.REQUEST_TIMEOUT, message, cause);
    }
}

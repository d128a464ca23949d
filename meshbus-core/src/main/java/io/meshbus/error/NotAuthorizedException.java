package io.meshbus.error;

/** The other host's authorization policy does not allow this send, request or subscription from this host. */
public class NotAuthorizedException extends MeshbusException {
    public NotAuthorizedException(String message) {
        super(ErrorCode.NOT_AUTHORIZED, message);
    }
}

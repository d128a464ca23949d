package io.meshbus.error;

/** The other side did not prove the credentials the network requires. */
public class AuthenticationFailedException extends MeshbusException {
    public AuthenticationFailedException(String message) {
        super(ErrorCode.AUTHENTICATION_FAILED, message);
    }

    public AuthenticationFailedException(String message, Throwable cause) {
        super(ErrorCode.AUTHENTICATION_FAILED, message, cause);
    }
}

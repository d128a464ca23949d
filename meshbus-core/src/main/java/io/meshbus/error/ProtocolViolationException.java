package io.meshbus.error;

/**
 * The other side sent something the protocol does not allow: a malformed frame, an unknown frame type, a frame out of
 * order. The link that carried it is closed.
 */
public class ProtocolViolationException extends MeshbusException {
    public ProtocolViolationException(String message) {
        super(ErrorCode.PROTOCOL_VIOLATION, message);
    }

    public ProtocolViolationException(String message, Throwable cause) {
        super(ErrorCode.PROTOCOL_VIOLATION, message, cause);
    }

    protected ProtocolViolationException(ErrorCode code, String message) {
        super(code, message);
    }
}

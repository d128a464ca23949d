package io.meshbus.error;

/** A frame (or a message about to become one) is larger than the configured maximum frame size. */
public class FrameTooLargeException extends ProtocolViolationException {
    public FrameTooLargeException(String message) {
        super(ErrorCode.FRAME_TOO_LARGE, message);
    }
}

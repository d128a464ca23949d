package io.meshbus.error;

/**
 * Every failure a caller can act on, with the number it travels under on the wire. Codes are stable: a new failure gets
 * a new number, an old number is never reused, so two versions of Meshbus understand each other's errors.
 */
public enum ErrorCode {
    UNKNOWN(0),
    PROTOCOL_VIOLATION(1),
    FRAME_TOO_LARGE(2),
    INCOMPATIBLE_VERSION(3),
    SELF_CONNECTION(4),
    DUPLICATE_LINK(5),
    HANDSHAKE_TIMEOUT(6),
    CLOSED(7),
    PEER_NOT_FOUND(8),
    PEER_UNREACHABLE(9),
    NO_RESPONDERS(10),
    REQUEST_TIMEOUT(11),
    NETWORK_ID_MISMATCH(12),
    AUTHENTICATION_FAILED(13),
    BACK_PRESSURE(14),
    UNEXPECTED_PEER(15),
    REMOTE_FAILURE(16),
    NOT_AUTHORIZED(17),
    PEER_ID_TAKEN(18);

    private static final ErrorCode[] BY_WIRE = new ErrorCode[32];

    static {
        for (ErrorCode c : values()) {
            BY_WIRE[c.wire] = c;
        }
    }

    private final int wire;

    ErrorCode(int wire) {
        this.wire = wire;
    }

    /** The number this code is written as on the wire. */
    public int wire() {
        return wire;
    }

    /** The code for a wire number; numbers this version does not know map to {@link #UNKNOWN}. */
    public static ErrorCode ofWire(int wire) {
        ErrorCode c = wire >= 0 && wire < BY_WIRE.length ? BY_WIRE[wire] : null;
        return c == null ? UNKNOWN : c;
    }
}

package io.meshbus.error;

/**
 * Base of every failure Meshbus reports. Unchecked: failures arrive mostly through futures, and each subtype names
 * one failure a caller can act on. {@link #code()} is what travels on the wire, so a remote failure becomes the same
 * type on the caller's side ({@link #of(ErrorCode, String)}).
 */
public class MeshbusException extends RuntimeException {
    private final ErrorCode code;

    public MeshbusException(ErrorCode code, String message) {
        this(code, message, null);
    }

    public MeshbusException(ErrorCode code, String message, Throwable cause) {
        super(message, cause);
        this.code = code;
    }

    public ErrorCode code() {
        return code;
    }

    /** The typed exception for a code, as received from a remote node. */
    public static MeshbusException of(ErrorCode code, String message) {
        return switch (code) {
            case PROTOCOL_VIOLATION -> new ProtocolViolationException(message);
            case FRAME_TOO_LARGE -> new FrameTooLargeException(message);
            case INCOMPATIBLE_VERSION -> new IncompatibleVersionException(message);
            case SELF_CONNECTION -> new SelfConnectionException(message);
            case HANDSHAKE_TIMEOUT -> new HandshakeTimeoutException(message);
            case CLOSED -> new ClosedException(message);
            case PEER_NOT_FOUND -> new PeerNotFoundException(message);
            case PEER_UNREACHABLE -> new PeerUnreachableException(message);
            case NO_RESPONDERS -> new NoRespondersException(message);
            case REQUEST_TIMEOUT -> new RequestTimeoutException(message);
            case NETWORK_ID_MISMATCH -> new NetworkIdMismatchException(message);
            case AUTHENTICATION_FAILED -> new AuthenticationFailedException(message);
            case BACK_PRESSURE -> new BackPressureException(message);
            case UNEXPECTED_PEER -> new UnexpectedPeerException(message);
            case NOT_AUTHORIZED -> new NotAuthorizedException(message);
            case PEER_ID_TAKEN -> new PeerIdTakenException(message);
            default -> new MeshbusException(code, message);
        };
    }
}

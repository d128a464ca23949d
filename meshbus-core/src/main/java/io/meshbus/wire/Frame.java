package io.meshbus.wire;

import io.meshbus.error.ErrorCode;

/**
 * The control frames of the node protocol. Data frames decode straight to {@link io.meshbus.message.Message} (no
 * wrapper object on the hot path). Field-by-field layouts are in PROTOCOL.md.
 */
public sealed interface Frame {

    /** Opens a link: who the dialler is. Also the acceptor's reply when the dialler must arbitrate. */
    record Hello(int version, String id, long incarnation, String address, boolean keep, String expectedId,
                 boolean replace) implements Frame {
    }

    /** Activates a link: sent by the arbitrating side (the smaller id) when it decides to keep this link. */
    record Accept(String id, long incarnation, String address, boolean keep) implements Frame {
    }

    /** Refuses a link during the handshake, with a reason and the refusing node's id (empty when not given). */
    record Reject(ErrorCode code, String text, String id) implements Frame {
    }

    /** "I keep (or no longer keep) this link": the keeper re-dials when it breaks. */
    record Keep(boolean keep) implements Frame {
    }

    /** Heartbeat on an idle link; any frame counts as proof of life, this one is for when there is nothing else. */
    record Ping() implements Frame {
        public static final Ping INSTANCE = new Ping();
    }

    /**
     * Authentication, both ways, when the network has a secret: the dialler sends its nonce (empty proof) right after
     * HELLO; the acceptor answers with its id, its nonce and its proof of the secret over both nonces.
     */
    record Challenge(String id, byte[] nonce, byte[] proof) implements Frame {
    }

    /** The dialler's proof of the secret over both nonces; sent once the acceptor's proof checked out. */
    record Proof(byte[] proof) implements Frame {
    }

    /**
     * What a side presents to the other's authenticator (a token, say; empty when it has nothing): sent by the
     * dialler after its HELLO and by the acceptor only once it has accepted the dialler's, just before its answer.
     */
    record Credential(byte[] token) implements Frame {
    }

    /**
     * "Before this frame I had sent you {@code count} data messages since we met": travels in order with the data,
     * through reconnects, so the receiver counts exactly what broken links lost on the way.
     */
    record Tally(long count) implements Frame {
    }

    /** Closes a link on purpose, with the reason; the receiver does not treat the close as a failure. */
    record Bye(ErrorCode code, String text) implements Frame {
    }
}

package io.meshbus.js;

import java.net.SocketAddress;

/**
 * Decides whether a browser connection may become the peer it names. Called once per connection, after its hello,
 * on the gateway's executor (never on a Netty I/O thread), so it may block briefly, e.g. to check a token with a
 * service; the connection waits for the answer and sends nothing else meanwhile.
 */
@FunctionalInterface
public interface Authenticator {
    /** What a connection presents: the peer id it asks for, its token (or null), its Origin header (or null). */
    record Credentials(String peerId, String token, String origin, SocketAddress remoteAddress) {
    }

    /** True to admit; false (or an exception) refuses the connection with {@code AUTHENTICATION_FAILED}. */
    boolean authenticate(Credentials credentials) throws Exception;

    /**
     * Whether an authenticated connection may take over the id from a connection of that id that is still open
     * here, without the resume token the older one was given: say yes only when the credentials prove it is the
     * same client (a token bound to one device or session, say). Default: no, the newcomer is refused with
     * {@code PEER_ID_TAKEN} and the connected browser keeps its id.
     */
    default boolean mayTakeOver(Credentials credentials) throws Exception {
        return false;
    }
}

package io.meshbus.bus;

/**
 * What remote hosts may do on this host, decided per remote host id (the id proven by the network secret or TLS when
 * those are on). Called for every incoming operation, so keep it quick. Denied sends and requests fail on the
 * caller's side with {@link io.meshbus.error.NotAuthorizedException}; a denied subscription makes the subscriber's
 * future fail the same way; a denied publish is dropped, logged and counted ({@code denied}) here, since a publish has
 * no reply. Everything is allowed by default.
 */
public interface Authorizer {
    Authorizer ALLOW_ALL = new Authorizer() {
    };

    /** May peer {@code from} on host {@code host} send to (or request from) local peer {@code to}? */
    default boolean maySend(String host, String from, String to) {
        return true;
    }

    /** May host {@code host} subscribe here to {@code pattern} (so publishes from here on it go there)? */
    default boolean maySubscribe(String host, String pattern) {
        return true;
    }

    /** May {@code from} on host {@code host} publish on {@code subject} to subscribers here? */
    default boolean mayPublish(String host, String from, String subject) {
        return true;
    }
}

package io.meshbus.bus.membership;

/**
 * What the other rooms of a host learn from its membership, each forgetting or announcing its own state, instead of
 * membership reaching into all of them. Threads: the executor, in the order of the events of each remote host.
 */
public interface MembershipListener {
    /** The link to a host came up (again); this host's hello went out just before. */
    default void linkUp(String host) {
    }

    /** The link to a host broke and is being re-dialled: what was in flight on it has an unknown fate. */
    default void linkLost(String host, String why) {
    }

    /** A host came back as a new incarnation: everything known of the old one is stale. */
    default void restarted(String host, String why, boolean member) {
        gone(host, why);
    }

    /** A host passed the network check and became a member; the others are told next. */
    default void added(String host) {
    }

    /** A member (new or re-admitted) was sent the member list: it may be sent this host's state now. */
    default void admitted(String host) {
    }

    /** A member said in its hello that it has peer resolvers. */
    default void resolves(String host) {
    }

    /** A member left, or its link was given up: forget it. */
    default void removed(String host, String why) {
        gone(host, why);
    }

    /**
     * What a room that only forgets overrides: the incarnation of the host it knew is over, by a restart or a
     * removal (the defaults of {@link #restarted} and {@link #removed} call it).
     */
    default void gone(String host, String why) {
    }
}

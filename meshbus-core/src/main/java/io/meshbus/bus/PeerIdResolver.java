package io.meshbus.bus;

/**
 * Chooses which of two claims to one peer id keeps it. It runs on the directory owners of the id (two hosts, each
 * on its own), so it must be a pure function of the two claims, the same whichever comes first: then every owner
 * chooses alike and the network agrees without another round. The loser's host removes its peer and tells it why
 * (see {@link Peer#onRemoved}). Erlang's {@code global} name registry resolves its clashes with such a function.
 */
@FunctionalInterface
public interface PeerIdResolver {
    /** @return {@code a} or {@code b}: the claim that keeps the id */
    PeerClaim choose(PeerClaim a, PeerClaim b);

    /**
     * The default: the peer created first keeps its id (an existing peer is never displaced by a newcomer), and of
     * two created in the same millisecond, the one on the host whose id sorts first. Clock skew between hosts can
     * only change which wins, never whether the owners agree.
     */
    PeerIdResolver OLDEST = (a, b) -> {
        int c = Long.compare(a.createdAtMillis(), b.createdAtMillis());
        if (c == 0) {
            c = a.hostId().compareTo(b.hostId());
        }
        return c <= 0 ? a : b;
    };
}

package io.meshbus.bus;

import java.util.Objects;

/**
 * A host's claim to a peer id: which host holds a peer of that id and when it was created there (that host's wall
 * clock, milliseconds since the epoch). What a {@link PeerIdResolver} compares when two hosts claim one id.
 */
public record PeerClaim(String peerId, String hostId, long createdAtMillis) {
    public PeerClaim {
        Objects.requireNonNull(peerId, "peerId");
        Objects.requireNonNull(hostId, "hostId");
    }
}

package io.meshbus.bus.protocol;

import java.util.Collection;

/** The ids of a host's own peers, as the rooms that do not deliver to them need them. Threads: any. */
public interface LocalPeerIds {
    boolean has(String peerId);

    /** When the local peer was created (wall clock, ms), or -1 when there is none here. */
    long createdAt(String peerId);

    /** A live view. */
    Collection<String> ids();
}

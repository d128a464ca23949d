package io.meshbus.bus.membership;

import java.net.URI;
import java.util.concurrent.CompletableFuture;

/** A host admitted to the network, as this host knows it. */
public final class Member {
    private final String id;
    private final URI address;
    /** Completes when the members this one named have been dialled (the list itself is not kept). */
    final CompletableFuture<Void> membersDialled = new CompletableFuture<>();
    /** Completes when the member's subscriptions are known here (its interest snapshot arrived). */
    final CompletableFuture<Void> interests = new CompletableFuture<>();

    Member(String id, URI address) {
        this.id = id;
        this.address = address;
    }

    public String id() {
        return id;
    }

    /** Where it listens, or null when it does not. */
    public URI address() {
        return address;
    }
}

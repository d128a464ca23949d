package io.meshbus.cli;

import java.util.concurrent.CompletableFuture;

/** A running gateway between a host and one of the Node dialects, as {@link HostCommand} drives it. */
interface Bridge {
    /** One line for the console: what it is and where it listens. */
    String describe();

    /** Joins a network of that dialect at the address. */
    CompletableFuture<Void> join(String address);

    /** Leaves (goodbyes where the dialect has them) and stops listening; the host stays up. */
    CompletableFuture<Void> close();
}

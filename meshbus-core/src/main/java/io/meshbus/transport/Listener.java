package io.meshbus.transport;

import java.net.URI;
import java.util.concurrent.CompletableFuture;

/** A bound listener. */
public interface Listener {
    /** A dialable address of this listener: the real port, never a wildcard host. */
    URI address();

    /** Stops accepting; links already accepted are not affected. */
    CompletableFuture<Void> close();
}

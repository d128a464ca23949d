package io.meshbus.node;

import java.net.URI;
import java.util.concurrent.CompletableFuture;

/** One dial: where to, what to ask for, and the future that says which node answered. */
record DialContext(URI uri, String expectedId, boolean keep, boolean replace, CompletableFuture<String> result) {
    void succeed(String id) {
        result.complete(id);
    }

    void fail(Throwable t) {
        result.completeExceptionally(t);
    }
}

package io.meshbus.node;

import java.net.URI;
import java.util.concurrent.CompletableFuture;

/** Dials a node: what the rooms that re-dial (the reconnector, the arbiter's duplicate wait) may ask of the node. */
@FunctionalInterface
interface Dialler {
    /**
     * @param expectedId the id the answer must have, or null for any
     * @param replace    ask the arbiter to drop the link it still has to this node
     * @return completes with the remote's id once a link to it is active
     */
    CompletableFuture<String> dial(URI uri, String expectedId, boolean keep, boolean replace);
}

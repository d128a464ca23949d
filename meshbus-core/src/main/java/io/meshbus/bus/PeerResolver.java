package io.meshbus.bus;

import java.util.concurrent.CompletableFuture;

/**
 * Finds peers the network's directory does not know, such as peers behind a gateway to another system: asked, on
 * the host it was added to, whenever a lookup anywhere in the network found nothing. It answers true once it created
 * the peer on its host (a proxy made with {@link Host#create}); the lookup then routes there.
 */
@FunctionalInterface
public interface PeerResolver {
    CompletableFuture<Boolean> resolve(String peerId);
}

package io.meshbus.transport;

import io.netty.channel.Channel;
import java.net.URI;
import java.time.Duration;
import java.util.Set;
import java.util.concurrent.CompletableFuture;

/**
 * A way to open byte-stream links: listen on a URI, connect to a URI. Implementations are found by URI scheme through
 * {@link java.util.ServiceLoader} ({@code META-INF/services/io.meshbus.transport.Transport}) or handed over as
 * objects. A transport owns only sockets and its own protocol adaptation (TLS, WebSocket framing); the caller's
 * {@link LinkInitializer} installs the frame codec and the link logic on every channel, accepted or dialled.
 *
 * <p>Rules for implementations: a listener binds exactly the address it is given, and {@link Listener#address()}
 * reports an address others can dial (the real port when 0 was asked, never a wildcard address). A failed listen or
 * connect completes the future exceptionally with a {@link io.meshbus.error.MeshbusException}; nothing throws.
 */
public interface Transport {
    /** The URI schemes this transport serves, for example {@code tcp}. */
    Set<String> schemes();

    CompletableFuture<Listener> listen(URI uri, LinkInitializer initializer);

    CompletableFuture<Channel> connect(URI uri, LinkInitializer initializer, Duration timeout);
}

package io.meshbus.transport;

import io.netty.channel.Channel;
import java.net.URI;
import java.time.Duration;
import java.util.Set;
import java.util.concurrent.CompletableFuture;

/**
 * {@code tls://host:port}: the tcp transport with TLS in front of everything else on the channel. A plain-text peer,
 * an untrusted or expired certificate, or a certificate for another host fails the TLS handshake; the node layer
 * reports that as an authentication failure. Registered with the configuration it needs, e.g. through
 * {@code NodeOptions.Builder.tls(config)}.
 */
public final class TlsTransport implements Transport {
    private final TcpTransport tcp;
    private final TlsConfig config;

    public TlsTransport(TlsConfig config) {
        this(config, TransportResources.shared());
    }

    public TlsTransport(TlsConfig config, TransportResources resources) {
        this.config = config;
        this.tcp = new TcpTransport(resources);
    }

    @Override
    public Set<String> schemes() {
        return Set.of("tls");
    }

    private static URI asTcp(URI uri) {
        return URI.create("tcp" + uri.toString().substring(uri.getScheme().length()));
    }

    @Override
    public CompletableFuture<Listener> listen(URI uri, LinkInitializer initializer) {
        return tcp.listen(asTcp(uri), (ch, accepted) -> {
            ch.pipeline().addLast("tls", config.server().newHandler(ch.alloc()));
            initializer.initialize(ch, accepted);
        }).thenApply(l -> new Listener() {
            @Override
            public URI address() {
                return URI.create("tls" + l.address().toString().substring("tcp".length()));
            }

            @Override
            public CompletableFuture<Void> close() {
                return l.close();
            }
        });
    }

    @Override
    public CompletableFuture<Channel> connect(URI uri, LinkInitializer initializer, Duration timeout) {
        String host = uri.getHost();
        String peerHost = host != null && host.startsWith("[") ? host.substring(1, host.length() - 1) : host;
        return tcp.connect(asTcp(uri), (ch, accepted) -> {
            ch.pipeline().addLast("tls", config.client().newHandler(ch.alloc(), peerHost, uri.getPort()));
            initializer.initialize(ch, accepted);
        }, timeout);
    }
}

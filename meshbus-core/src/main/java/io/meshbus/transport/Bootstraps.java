package io.meshbus.transport;

import io.meshbus.error.PeerUnreachableException;
import io.netty.bootstrap.AbstractBootstrap;
import io.netty.bootstrap.Bootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import java.net.SocketAddress;
import java.net.URI;
import java.util.concurrent.CompletableFuture;
import java.util.function.Function;

/** Netty bind and connect turned into futures with the transports' error conventions. */
final class Bootstraps {
    private Bootstraps() {
    }

    /** Binds; the listener's advertised address is computed from the bound channel. */
    static CompletableFuture<Listener> bind(AbstractBootstrap<?, ?> b, SocketAddress at, URI requested,
                                            Function<Channel, URI> advertised) {
        CompletableFuture<Listener> result = new CompletableFuture<>();
        b.bind(at).addListener((ChannelFuture f) -> {
            if (f.isSuccess()) {
                result.complete(new ChannelListener(f.channel(), advertised.apply(f.channel())));
            } else {
                result.completeExceptionally(new IllegalStateException("cannot listen on " + requested + ": "
                        + f.cause().getMessage(), f.cause()));
            }
        });
        return result;
    }

    /** Connects; a failure is a {@link PeerUnreachableException} naming the URI. */
    static CompletableFuture<Channel> connect(Bootstrap b, SocketAddress to, URI uri) {
        CompletableFuture<Channel> result = new CompletableFuture<>();
        b.connect(to).addListener((ChannelFuture f) -> {
            if (f.isSuccess()) {
                result.complete(f.channel());
            } else {
                result.completeExceptionally(new PeerUnreachableException("cannot connect to " + uri + ": "
                        + f.cause().getMessage(), f.cause()));
            }
        });
        return result;
    }
}

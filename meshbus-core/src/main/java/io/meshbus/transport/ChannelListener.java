package io.meshbus.transport;

import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import java.net.URI;
import java.util.concurrent.CompletableFuture;

/** A listener backed by a bound Netty server channel. */
final class ChannelListener implements Listener {
    private final Channel channel;
    private final URI address;

    ChannelListener(Channel channel, URI address) {
        this.channel = channel;
        this.address = address;
    }

    @Override
    public URI address() {
        return address;
    }

    @Override
    public CompletableFuture<Void> close() {
        CompletableFuture<Void> done = new CompletableFuture<>();
        channel.close().addListener((ChannelFuture f) -> done.complete(null));
        return done;
    }

    @Override
    public String toString() {
        return "Listener{" + address + "}";
    }
}

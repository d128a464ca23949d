package io.meshbus.transport;

import io.meshbus.error.PeerUnreachableException;
import io.netty.bootstrap.Bootstrap;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.local.LocalAddress;
import io.netty.channel.local.LocalChannel;
import io.netty.channel.local.LocalServerChannel;
import java.net.URI;
import java.time.Duration;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;

/**
 * {@code mem://name}: links inside one JVM, on Netty's local channels. The bytes are the same frames as on TCP (the
 * same decoder runs), so tests on {@code mem} exercise the real wire without sockets. {@code mem://0} picks a fresh
 * name, as port 0 does for TCP.
 */
public final class MemTransport implements Transport {
    private final TransportResources resources;

    public MemTransport() {
        this(TransportResources.shared());
    }

    public MemTransport(TransportResources resources) {
        this.resources = resources;
    }

    @Override
    public Set<String> schemes() {
        return Set.of("mem");
    }

    @Override
    public CompletableFuture<Listener> listen(URI uri, LinkInitializer initializer) {
        String name = nameOf(uri);
        if (name == null) {
            return CompletableFuture.failedFuture(badUri(uri));
        }
        if (name.equals("0")) {
            name = "node-" + UUID.randomUUID();
        }
        String bound = name;
        CompletableFuture<Listener> result = new CompletableFuture<>();
        new ServerBootstrap()
                .group(resources.local())
                .channel(LocalServerChannel.class)
                .childOption(ChannelOption.WRITE_BUFFER_WATER_MARK, TcpTransport.WATER_MARK)
                .childHandler(new ChannelInitializer<LocalChannel>() {
                    @Override
                    protected void initChannel(LocalChannel ch) {
                        initializer.initialize(ch, true);
                    }
                })
                .bind(new LocalAddress(bound))
                .addListener((ChannelFuture f) -> {
                    if (f.isSuccess()) {
                        result.complete(new ChannelListener(f.channel(), URI.create("mem://" + bound)));
                    } else {
                        result.completeExceptionally(new IllegalStateException("cannot listen on " + uri + ": "
                                + f.cause().getMessage(), f.cause()));
                    }
                });
        return result;
    }

    @Override
    public CompletableFuture<Channel> connect(URI uri, LinkInitializer initializer, Duration timeout) {
        String name = nameOf(uri);
        if (name == null) {
            return CompletableFuture.failedFuture(badUri(uri));
        }
        CompletableFuture<Channel> result = new CompletableFuture<>();
        new Bootstrap()
                .group(resources.local())
                .channel(LocalChannel.class)
                .option(ChannelOption.WRITE_BUFFER_WATER_MARK, TcpTransport.WATER_MARK)
                .handler(new ChannelInitializer<LocalChannel>() {
                    @Override
                    protected void initChannel(LocalChannel ch) {
                        initializer.initialize(ch, false);
                    }
                })
                .connect(new LocalAddress(name))
                .addListener((ChannelFuture f) -> {
                    if (f.isSuccess()) {
                        result.complete(f.channel());
                    } else {
                        result.completeExceptionally(new PeerUnreachableException("cannot connect to " + uri + ": "
                                + f.cause().getMessage(), f.cause()));
                    }
                });
        return result;
    }

    private static IllegalArgumentException badUri(URI uri) {
        return new IllegalArgumentException("uri: '" + uri + "' must be mem://name");
    }

    private static String nameOf(URI uri) {
        String n = uri.getAuthority();
        return n == null || n.isEmpty() ? null : n;
    }
}

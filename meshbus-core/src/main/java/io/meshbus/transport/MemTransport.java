package io.meshbus.transport;

import io.netty.bootstrap.Bootstrap;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
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
        ServerBootstrap b = new ServerBootstrap()
                .group(resources.local())
                .channel(LocalServerChannel.class)
                .childOption(ChannelOption.WRITE_BUFFER_WATER_MARK, TcpTransport.WATER_MARK)
                .childHandler(new ChannelInitializer<LocalChannel>() {
                    @Override
                    protected void initChannel(LocalChannel ch) {
                        initializer.initialize(ch, true);
                    }
                });
        return Bootstraps.bind(b, new LocalAddress(bound), uri, ch -> URI.create("mem://" + bound));
    }

    @Override
    public CompletableFuture<Channel> connect(URI uri, LinkInitializer initializer, Duration timeout) {
        String name = nameOf(uri);
        if (name == null) {
            return CompletableFuture.failedFuture(badUri(uri));
        }
        Bootstrap b = new Bootstrap()
                .group(resources.local())
                .channel(LocalChannel.class)
                .option(ChannelOption.WRITE_BUFFER_WATER_MARK, TcpTransport.WATER_MARK)
                .handler(new ChannelInitializer<LocalChannel>() {
                    @Override
                    protected void initChannel(LocalChannel ch) {
                        initializer.initialize(ch, false);
                    }
                });
        return Bootstraps.connect(b, new LocalAddress(name), uri);
    }

    private static IllegalArgumentException badUri(URI uri) {
        return new IllegalArgumentException("uri: '" + uri + "' must be mem://name");
    }

    private static String nameOf(URI uri) {
        String n = uri.getAuthority();
        return n == null || n.isEmpty() ? null : n;
    }
}

package io.meshbus.transport;

import io.netty.bootstrap.Bootstrap;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.ServerChannel;
import io.netty.channel.WriteBufferWaterMark;
import io.netty.channel.epoll.EpollServerSocketChannel;
import io.netty.channel.epoll.EpollSocketChannel;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.channel.socket.nio.NioSocketChannel;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.NetworkInterface;
import java.net.SocketException;
import java.net.URI;
import java.time.Duration;
import java.util.Collections;
import java.util.Set;
import java.util.concurrent.CompletableFuture;

/**
 * {@code tcp://host:port} on Netty: epoll where available, NIO otherwise; TCP_NODELAY on every socket. Binds exactly
 * the host it is given. Write buffer water marks are generous (512 KiB / 2 MiB) so batched writes keep the socket busy;
 * above the high mark the channel turns unwritable and senders see back-pressure instead of unbounded buffering.
 */
public final class TcpTransport implements Transport {
    static final WriteBufferWaterMark WATER_MARK = new WriteBufferWaterMark(512 * 1024, 2 * 1024 * 1024);

    private final TransportResources resources;

    public TcpTransport() {
        this(TransportResources.shared());
    }

    public TcpTransport(TransportResources resources) {
        this.resources = resources;
    }

    @Override
    public Set<String> schemes() {
        return Set.of("tcp");
    }

    @Override
    public CompletableFuture<Listener> listen(URI uri, LinkInitializer initializer) {
        InetSocketAddress bind;
        try {
            bind = socketAddress(uri);
        } catch (IllegalArgumentException e) {
            return CompletableFuture.failedFuture(e);
        }
        Class<? extends ServerChannel> type = resources.epoll()
                ? EpollServerSocketChannel.class : NioServerSocketChannel.class;
        ServerBootstrap b = new ServerBootstrap()
                .group(resources.network())
                .channel(type)
                .option(ChannelOption.SO_REUSEADDR, true)
                .childOption(ChannelOption.TCP_NODELAY, true)
                .childOption(ChannelOption.WRITE_BUFFER_WATER_MARK, WATER_MARK)
                .childHandler(new ChannelInitializer<SocketChannel>() {
                    @Override
                    protected void initChannel(SocketChannel ch) {
                        initializer.initialize(ch, true);
                    }
                });
        return Bootstraps.bind(b, bind, uri, ch -> advertised("tcp", ch, ""));
    }

    /** The dialable address of a bound channel: a wildcard bind is advertised as a routable address. */
    static URI advertised(String scheme, Channel ch, String path) {
        InetSocketAddress bound = (InetSocketAddress) ch.localAddress();
        return URI.create(scheme + "://" + hostForUri(advertisable(bound.getAddress())) + ":" + bound.getPort()
                + path);
    }

    @Override
    public CompletableFuture<Channel> connect(URI uri, LinkInitializer initializer, Duration timeout) {
        InetSocketAddress target;
        try {
            target = socketAddress(uri);
        } catch (IllegalArgumentException e) {
            return CompletableFuture.failedFuture(e);
        }
        Bootstrap b = new Bootstrap()
                .group(resources.network())
                .channel(resources.epoll() ? EpollSocketChannel.class : NioSocketChannel.class)
                .option(ChannelOption.TCP_NODELAY, true)
                .option(ChannelOption.WRITE_BUFFER_WATER_MARK, WATER_MARK)
                .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, (int) Math.min(Integer.MAX_VALUE, timeout.toMillis()))
                .handler(new ChannelInitializer<Channel>() {
                    @Override
                    protected void initChannel(Channel ch) {
                        initializer.initialize(ch, false);
                    }
                });
        return Bootstraps.connect(b, target, uri);
    }

    static InetSocketAddress socketAddress(URI uri) {
        String host = uri.getHost();
        if (host == null || uri.getPort() < 0) {
            throw new IllegalArgumentException("uri: '" + uri + "' must be tcp://host:port");
        }
        if (host.startsWith("[") && host.endsWith("]")) {
            host = host.substring(1, host.length() - 1);
        }
        return new InetSocketAddress(host, uri.getPort());
    }

    /** A wildcard bind is advertised as a routable address of this machine (first non-loopback), else loopback. */
    static InetAddress advertisable(InetAddress bound) {
        if (!bound.isAnyLocalAddress()) {
            return bound;
        }
        try {
            for (NetworkInterface ni : Collections.list(NetworkInterface.getNetworkInterfaces())) {
                if (!ni.isUp() || ni.isLoopback()) {
                    continue;
                }
                for (InetAddress a : Collections.list(ni.getInetAddresses())) {
                    if (!a.isLinkLocalAddress() && !a.isLoopbackAddress()
                            && (a instanceof Inet6Address) == (bound instanceof Inet6Address)) {
                        return a;
                    }
                }
            }
        } catch (SocketException ignored) {
            // fall through to loopback: still dialable from this machine
        }
        return InetAddress.getLoopbackAddress();
    }

    static String hostForUri(InetAddress a) {
        String h = a.getHostAddress();
        int zone = h.indexOf('%');
        if (zone >= 0) {
            h = h.substring(0, zone);
        }
        return a instanceof Inet6Address ? "[" + h + "]" : h;
    }
}

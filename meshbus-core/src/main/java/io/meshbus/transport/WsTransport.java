package io.meshbus.transport;

import io.meshbus.error.ProtocolViolationException;
import io.netty.bootstrap.Bootstrap;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelDuplexHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.ChannelPromise;
import io.netty.channel.ServerChannel;
import io.netty.channel.epoll.EpollServerSocketChannel;
import io.netty.channel.epoll.EpollSocketChannel;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.channel.socket.nio.NioSocketChannel;
import io.netty.handler.codec.http.DefaultHttpHeaders;
import io.netty.handler.codec.http.HttpClientCodec;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.codec.http.websocketx.BinaryWebSocketFrame;
import io.netty.handler.codec.http.websocketx.WebSocketClientProtocolConfig;
import io.netty.handler.codec.http.websocketx.WebSocketClientProtocolHandler;
import io.netty.handler.codec.http.websocketx.WebSocketFrame;
import io.netty.handler.codec.http.websocketx.WebSocketServerProtocolConfig;
import io.netty.handler.codec.http.websocketx.WebSocketServerProtocolHandler;
import io.netty.handler.codec.http.websocketx.WebSocketVersion;
import io.netty.util.ReferenceCountUtil;
import java.net.InetSocketAddress;
import java.net.URI;
import java.time.Duration;
import java.util.Set;
import java.util.concurrent.CompletableFuture;

/**
 * {@code ws://host:port/path}: the same frames as {@code tcp}, carried in binary WebSocket messages, so browsers and
 * HTTP proxies can reach a node. The WebSocket messages are only a carrier: outgoing bytes are cut into messages of
 * at most 64 KiB and the frame decoder reassembles frames across them, so the node's frame limit is the only limit.
 * The upper layers' handlers are installed once the WebSocket handshake has completed.
 */
public final class WsTransport implements Transport {
    static final int CHUNK = 64 * 1024;

    private final TransportResources resources;

    public WsTransport() {
        this(TransportResources.shared());
    }

    public WsTransport(TransportResources resources) {
        this.resources = resources;
    }

    @Override
    public Set<String> schemes() {
        return Set.of("ws");
    }

    private static String path(URI uri) {
        return uri.getRawPath() == null || uri.getRawPath().isEmpty() ? "/" : uri.getRawPath();
    }

    @Override
    public CompletableFuture<Listener> listen(URI uri, LinkInitializer initializer) {
        InetSocketAddress bind;
        try {
            bind = TcpTransport.socketAddress(uri);
        } catch (IllegalArgumentException e) {
            return CompletableFuture.failedFuture(e);
        }
        String path = path(uri);
        Class<? extends ServerChannel> type = resources.epoll()
                ? EpollServerSocketChannel.class : NioServerSocketChannel.class;
        ServerBootstrap b = new ServerBootstrap().group(resources.network()).channel(type)
                .option(ChannelOption.SO_REUSEADDR, true)
                .childOption(ChannelOption.TCP_NODELAY, true)
                .childOption(ChannelOption.WRITE_BUFFER_WATER_MARK, TcpTransport.WATER_MARK)
                .childHandler(new ChannelInitializer<SocketChannel>() {
                    @Override
                    protected void initChannel(SocketChannel ch) {
                        ch.pipeline().addLast(new HttpServerCodec(), new HttpObjectAggregator(8192),
                                new WebSocketServerProtocolHandler(WebSocketServerProtocolConfig.newBuilder()
                                        .websocketPath(path).maxFramePayloadLength(CHUNK)
                                        .handshakeTimeoutMillis(10_000).build()),
                                new Carrier(),
                                new InstallOnHandshake(initializer, true));
                    }
                });
        return Bootstraps.bind(b, bind, uri, ch -> TcpTransport.advertised("ws", ch, path.equals("/") ? "" : path));
    }

    @Override
    public CompletableFuture<Channel> connect(URI uri, LinkInitializer initializer, Duration timeout) {
        InetSocketAddress target;
        try {
            target = TcpTransport.socketAddress(uri);
        } catch (IllegalArgumentException e) {
            return CompletableFuture.failedFuture(e);
        }
        Bootstrap b = new Bootstrap().group(resources.network())
                .channel(resources.epoll() ? EpollSocketChannel.class : NioSocketChannel.class)
                .option(ChannelOption.TCP_NODELAY, true)
                .option(ChannelOption.WRITE_BUFFER_WATER_MARK, TcpTransport.WATER_MARK)
                .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, (int) Math.min(Integer.MAX_VALUE, timeout.toMillis()))
                .handler(new ChannelInitializer<Channel>() {
                    @Override
                    protected void initChannel(Channel ch) {
                        ch.pipeline().addLast(new HttpClientCodec(), new HttpObjectAggregator(8192),
                                new WebSocketClientProtocolHandler(WebSocketClientProtocolConfig.newBuilder()
                                        .webSocketUri(uri).version(WebSocketVersion.V13)
                                        .customHeaders(new DefaultHttpHeaders()).maxFramePayloadLength(CHUNK)
                                        .handshakeTimeoutMillis(timeout.toMillis()).build()),
                                new Carrier(),
                                new InstallOnHandshake(initializer, false));
                    }
                });
        return Bootstraps.connect(b, target, uri);
    }

    /** Binary WebSocket messages in, their bytes out; bytes in, binary messages of at most 64 KiB out. */
    static final class Carrier extends ChannelDuplexHandler {
        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            if (msg instanceof BinaryWebSocketFrame f) {
                ctx.fireChannelRead(f.content());
            } else if (msg instanceof WebSocketFrame f) {
                ReferenceCountUtil.release(f);
                ctx.fireExceptionCaught(new ProtocolViolationException("only binary WebSocket messages carry "
                        + "Meshbus frames, got " + f.getClass().getSimpleName()));
            } else {
                ctx.fireChannelRead(msg);
            }
        }

        @Override
        public void write(ChannelHandlerContext ctx, Object msg, ChannelPromise promise) {
            if (!(msg instanceof ByteBuf b)) {
                ctx.write(msg, promise);
                return;
            }
            if (b.readableBytes() <= CHUNK) {
                ctx.write(new BinaryWebSocketFrame(b), promise);
                return;
            }
            while (b.readableBytes() > CHUNK) {
                ctx.write(new BinaryWebSocketFrame(b.readRetainedSlice(CHUNK)), ctx.voidPromise());
            }
            ctx.write(new BinaryWebSocketFrame(b), promise);
        }
    }

    /** Adds the node's handlers once the WebSocket handshake is done, then gets out of the way. */
    static final class InstallOnHandshake extends ChannelInboundHandlerAdapter {
        private final LinkInitializer initializer;
        private final boolean accepted;

        InstallOnHandshake(LinkInitializer initializer, boolean accepted) {
            this.initializer = initializer;
            this.accepted = accepted;
        }

        @Override
        public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
            boolean done = accepted ? evt instanceof WebSocketServerProtocolHandler.HandshakeComplete
                    : evt == WebSocketClientProtocolHandler.ClientHandshakeStateEvent.HANDSHAKE_COMPLETE;
            if (done) {
                ctx.pipeline().remove(this);
                initializer.initialize(ctx.channel(), accepted);
            }
            ctx.fireUserEventTriggered(evt);
        }
    }
}

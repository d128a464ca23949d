package io.meshbus.transport;

import io.meshbus.error.PeerUnreachableException;
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
    /** Null for {@code ws://}; the certificates for {@code wss://}. */
    private final TlsConfig tls;

    public WsTransport() {
        this(TransportResources.shared());
    }

    public WsTransport(TransportResources resources) {
        this(resources, null);
    }

    /** {@code wss://}: WebSocket over TLS with these certificates. */
    public WsTransport(TlsConfig tls) {
        this(TransportResources.shared(), tls);
    }

    private WsTransport(TransportResources resources, TlsConfig tls) {
        this.resources = resources;
        this.tls = tls;
    }

    @Override
    public Set<String> schemes() {
        return Set.of(tls == null ? "ws" : "wss");
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
                        if (tls != null) {
                            ch.pipeline().addLast("tls", tls.server().newHandler(ch.alloc()));
                        }
                        ch.pipeline().addLast(new HttpServerCodec(), new HttpObjectAggregator(8192),
                                new WebSocketServerProtocolHandler(WebSocketServerProtocolConfig.newBuilder()
                                        .websocketPath(path).maxFramePayloadLength(CHUNK)
                                        .handshakeTimeoutMillis(10_000).build()),
                                new Carrier(),
                                new InstallOnHandshake(initializer, true, null));
                    }
                });
        return Bootstraps.bind(b, bind, uri, ch -> TcpTransport.advertised(tls == null ? "ws" : "wss", ch,
                path.equals("/") ? "" : path));
    }

    @Override
    public CompletableFuture<Channel> connect(URI uri, LinkInitializer initializer, Duration timeout) {
        InetSocketAddress target;
        try {
            target = TcpTransport.socketAddress(uri);
        } catch (IllegalArgumentException e) {
            return CompletableFuture.failedFuture(e);
        }
        CompletableFuture<Channel> ready = new CompletableFuture<>();
        Bootstrap b = new Bootstrap().group(resources.network())
                .channel(resources.epoll() ? EpollSocketChannel.class : NioSocketChannel.class)
                .option(ChannelOption.TCP_NODELAY, true)
                .option(ChannelOption.WRITE_BUFFER_WATER_MARK, TcpTransport.WATER_MARK)
                .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, (int) Math.min(Integer.MAX_VALUE, timeout.toMillis()))
                .handler(new ChannelInitializer<Channel>() {
                    @Override
                    protected void initChannel(Channel ch) {
                        if (tls != null) {
                            ch.pipeline().addLast("tls", tls.client().newHandler(ch.alloc(), target.getHostString(),
                                    target.getPort()));
                        }
                        ch.pipeline().addLast(new HttpClientCodec(), new HttpObjectAggregator(8192),
                                new WebSocketClientProtocolHandler(WebSocketClientProtocolConfig.newBuilder()
                                        .webSocketUri(uri).version(WebSocketVersion.V13)
                                        .customHeaders(new DefaultHttpHeaders()).maxFramePayloadLength(CHUNK)
                                        .handshakeTimeoutMillis(timeout.toMillis()).build()),
                                new Carrier(),
                                new InstallOnHandshake(initializer, false, ready));
                    }
                });
        // The link exists only once the WebSocket handshake (and TLS, for wss) is done; until then a failure fails
        // the dial, so nothing waits for a link that will never come.
        Bootstraps.connect(b, target, uri).whenComplete((ch, err) -> {
            if (err != null) {
                ready.completeExceptionally(err);
            }
        });
        return ready;
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

    /**
     * Adds the node's handlers once the WebSocket handshake is done, then gets out of the way. Before that, an error
     * or a close ends the channel and fails the dial ({@code ready}, null on the accepting side).
     */
    static final class InstallOnHandshake extends ChannelInboundHandlerAdapter {
        private final LinkInitializer initializer;
        private final boolean accepted;
        private final CompletableFuture<Channel> ready;

        InstallOnHandshake(LinkInitializer initializer, boolean accepted, CompletableFuture<Channel> ready) {
            this.initializer = initializer;
            this.accepted = accepted;
            this.ready = ready;
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable t) {
            Throwable cause = t instanceof io.netty.handler.codec.DecoderException && t.getCause() != null
                    ? t.getCause() : t;
            if (ready != null) {
                ready.completeExceptionally(cause instanceof javax.net.ssl.SSLException
                        ? new io.meshbus.error.AuthenticationFailedException("TLS with " + ctx.channel().remoteAddress()
                        + " failed: " + cause.getMessage(), cause)
                        : new PeerUnreachableException("WebSocket handshake with " + ctx.channel().remoteAddress()
                        + " failed: " + cause.getMessage(), cause));
            }
            ctx.close();
        }

        @Override
        public void channelInactive(ChannelHandlerContext ctx) {
            if (ready != null) {
                ready.completeExceptionally(new PeerUnreachableException("connection to "
                        + ctx.channel().remoteAddress() + " closed before the WebSocket handshake completed"));
            }
            ctx.fireChannelInactive();
        }

        @Override
        public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
            boolean done = accepted ? evt instanceof WebSocketServerProtocolHandler.HandshakeComplete
                    : evt == WebSocketClientProtocolHandler.ClientHandshakeStateEvent.HANDSHAKE_COMPLETE;
            if (done) {
                ctx.pipeline().remove(this);
                initializer.initialize(ctx.channel(), accepted);
                if (ready != null) {
                    ready.complete(ctx.channel());
                }
            }
            ctx.fireUserEventTriggered(evt);
        }
    }
}

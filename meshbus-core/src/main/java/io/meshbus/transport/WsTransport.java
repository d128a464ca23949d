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
import io.netty.handler.codec.http.websocketx.ContinuationWebSocketFrame;
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
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.LongAdder;

/**
 * {@code ws://host:port/path}: the same frames as {@code tcp}, carried in binary WebSocket messages, so browsers and
 * HTTP proxies can reach a node. The WebSocket messages are only a carrier: outgoing bytes are cut into messages of
 * at most 64 KiB and the frame decoder reassembles frames across them, so the node's frame limit is the only limit.
 * The upper layers' handlers are installed once the WebSocket handshake has completed.
 *
 * <p>Until then an accepted connection has proved nothing, so it is bounded apart from live links: the whole HTTP
 * upgrade (request line, headers, handshake) must arrive within {@link #UPGRADE_TIMEOUT} of the accept, and at most
 * {@link #MAX_PENDING_UPGRADES} connections per listener may be waiting for theirs; one more is closed at accept. A
 * connection that sent nothing was once held for ever, and enough of them used up the process's file descriptors.
 * Both refusals are counted ({@link #metrics()}).
 */
public final class WsTransport implements Transport {
    static final int CHUNK = 64 * 1024;
    /** From accept to a completed WebSocket upgrade. */
    public static final Duration UPGRADE_TIMEOUT = Duration.ofSeconds(10);
    /** Accepted connections still in their HTTP upgrade, per listener. */
    public static final int MAX_PENDING_UPGRADES = 256;
    private static final LongAdder UPGRADE_TIMEOUTS = new LongAdder();
    private static final LongAdder UPGRADES_REFUSED = new LongAdder();

    private final TransportResources resources;
    /** Null for {@code ws://}; the certificates for {@code wss://}. */
    private final TlsConfig tls;
    private final Duration upgradeTimeout;
    private final int maxPendingUpgrades;

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
        this(resources, tls, UPGRADE_TIMEOUT, MAX_PENDING_UPGRADES);
    }

    WsTransport(TransportResources resources, TlsConfig tls, Duration upgradeTimeout, int maxPendingUpgrades) {
        this.resources = resources;
        this.tls = tls;
        this.upgradeTimeout = upgradeTimeout;
        this.maxPendingUpgrades = maxPendingUpgrades;
    }

    /** Process-wide counts: upgrades that missed their deadline, and connections refused while too many waited. */
    public static java.util.Map<String, Long> metrics() {
        return java.util.Map.of("wsUpgradeTimeouts", UPGRADE_TIMEOUTS.sum(), "wsUpgradesRefused",
                UPGRADES_REFUSED.sum());
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
        AtomicInteger pending = new AtomicInteger();
        Class<? extends ServerChannel> type = resources.epoll()
                ? EpollServerSocketChannel.class : NioServerSocketChannel.class;
        ServerBootstrap b = new ServerBootstrap().group(resources.network()).channel(type)
                .option(ChannelOption.SO_REUSEADDR, true)
                .childOption(ChannelOption.TCP_NODELAY, true)
                .childOption(ChannelOption.WRITE_BUFFER_WATER_MARK, TcpTransport.WATER_MARK)
                .childHandler(new ChannelInitializer<SocketChannel>() {
                    @Override
                    protected void initChannel(SocketChannel ch) {
                        if (pending.incrementAndGet() > maxPendingUpgrades) {
                            pending.decrementAndGet();
                            UPGRADES_REFUSED.increment();
                            ch.close();
                            return;
                        }
                        if (tls != null) {
                            ch.pipeline().addLast("tls", tls.server().newHandler(ch.alloc()));
                        }
                        ch.pipeline().addLast(new UpgradeDeadline(upgradeTimeout, UPGRADE_TIMEOUTS),
                                new HttpServerCodec(4096, 8192, 8192), new HttpObjectAggregator(8192),
                                new WebSocketServerProtocolHandler(WebSocketServerProtocolConfig.newBuilder()
                                        .websocketPath(path).maxFramePayloadLength(CHUNK)
                                        .handshakeTimeoutMillis(upgradeTimeout.toMillis()).build()),
                                new Carrier(),
                                new InstallOnHandshake(initializer, true, null, pending));
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
                                new InstallOnHandshake(initializer, false, ready, null));
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

    /**
     * Binary WebSocket messages in, their bytes out; bytes in, binary messages of at most 64 KiB out. A binary message
     * split into continuation frames (RFC 6455 lets intermediaries fragment) is passed on piece by piece: the frame
     * decoder above reassembles across pieces anyway. Anything else is refused once, and nothing after it is read.
     */
    static final class Carrier extends ChannelDuplexHandler {
        private boolean inBinary; // event loop only: a fragmented binary message is under way
        private boolean refused; // event loop only

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            if (refused) {
                ReferenceCountUtil.release(msg);
            } else if (msg instanceof BinaryWebSocketFrame f) {
                inBinary = !f.isFinalFragment();
                ctx.fireChannelRead(f.content());
            } else if (msg instanceof ContinuationWebSocketFrame f && inBinary) {
                inBinary = !f.isFinalFragment();
                ctx.fireChannelRead(f.content());
            } else if (msg instanceof WebSocketFrame f) {
                ReferenceCountUtil.release(f);
                refused = true;
                ctx.channel().config().setAutoRead(false);
                ctx.fireExceptionCaught(new ProtocolViolationException("only binary WebSocket messages carry "
                        + "Meshbus frames, got " + f.getClass().getSimpleName()));
                ctx.close();
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
        /** The listener's count of connections still upgrading (accepted side), else null. */
        private final AtomicInteger pending;
        private boolean counted; // event loop only

        InstallOnHandshake(LinkInitializer initializer, boolean accepted, CompletableFuture<Channel> ready,
                           AtomicInteger pending) {
            this.initializer = initializer;
            this.accepted = accepted;
            this.ready = ready;
            this.pending = pending;
            this.counted = pending != null;
        }

        private void upgraded() {
            if (counted) {
                counted = false;
                pending.decrementAndGet();
            }
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
            upgraded();
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
                upgraded();
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

package io.meshbus.compat;

import io.meshbus.error.ClosedException;
import io.meshbus.error.FrameTooLargeException;
import io.meshbus.error.RequestTimeoutException;
import io.meshbus.message.Message;
import io.meshbus.route.Client;
import io.meshbus.route.DistroTransport;
import io.meshbus.route.Info;
import io.meshbus.route.Response;
import io.meshbus.route.Router;
import io.meshbus.route.Server;
import io.netty.bootstrap.Bootstrap;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.socket.DatagramPacket;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioDatagramChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.channel.socket.nio.NioSocketChannel;
import io.netty.handler.codec.json.JsonObjectDecoder;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executor;
import java.util.concurrent.ForkJoinPool;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.LongAdder;
import org.slf4j.Logger;

/**
 * The distro API over distro 0.4.0's own wire: bare JSON messages, one per UDP datagram or one per TCP connection,
 * and RECEIVED confirmations sent to the {@code address}/{@code port} headers over a new connection (or datagram).
 * Registered as {@code distro+tcp}, {@code distro+udp4} and {@code distro+udp6}, so
 * {@code Distro.create("distro+tcp").server(info)} serves clients written with the Node library.
 *
 * <p>Unlike distro, the TCP server frames by JSON object boundaries (a message split over reads, or two in one read,
 * both work), bounds a message's size and closes only the offending connection on garbage.
 */
public abstract class DistroJsonTransport implements DistroTransport {
    /** The largest message accepted (distro had no limit; a UDP datagram cannot be larger anyway). */
    public static final int MAX_MESSAGE = 1 << 20;
    private static final Executor HANDLERS = ForkJoinPool.commonPool();
    private final String name;
    private final boolean udp;
    private final boolean ipv6;
    private final LongAdder garbage = new LongAdder();

    DistroJsonTransport(String name, boolean udp, boolean ipv6) {
        this.name = name;
        this.udp = udp;
        this.ipv6 = ipv6;
    }

    /** {@code distro+tcp}. */
    public static final class Tcp extends DistroJsonTransport {
        public Tcp() {
            super("distro+tcp", false, false);
        }
    }

    /** {@code distro+udp4}. */
    public static final class Udp4 extends DistroJsonTransport {
        public Udp4() {
            super("distro+udp4", true, false);
        }
    }

    /** {@code distro+udp6}. */
    public static final class Udp6 extends DistroJsonTransport {
        public Udp6() {
            super("distro+udp6", true, true);
        }
    }

    @Override
    public String name() {
        return name;
    }

    /** Malformed or oversized messages dropped so far (each closed its TCP connection). */
    public long garbage() {
        return garbage.sum();
    }

    private InetSocketAddress bindAddress(Info info) {
        String a = info.address();
        if (ipv6 && a.equals("127.0.0.1")) {
            a = "::1";
        }
        return new InetSocketAddress(a, info.port());
    }

    private static CompletableFuture<Channel> future(ChannelFuture cf) {
        CompletableFuture<Channel> f = new CompletableFuture<>();
        cf.addListener((ChannelFutureListener) r -> {
            if (r.isSuccess()) {
                f.complete(r.channel());
            } else {
                f.completeExceptionally(r.cause());
            }
        });
        return f;
    }

    /** Sends bytes the distro way: a datagram from {@code via}, or a new TCP connection written then closed. */
    private CompletableFuture<Void> deliver(Channel via, InetSocketAddress to, byte[] bytes) {
        InetSocketAddress target = to.isUnresolved() ? new InetSocketAddress(to.getHostString(), to.getPort()) : to;
        if (bytes.length > MAX_MESSAGE) {
            return CompletableFuture.failedFuture(new FrameTooLargeException("message of " + bytes.length
                    + " bytes is larger than " + MAX_MESSAGE));
        }
        if (udp) {
            return future(via.writeAndFlush(new DatagramPacket(Unpooled.wrappedBuffer(bytes), target)))
                    .thenApply(c -> null);
        }
        Bootstrap b = new Bootstrap().group(Loops.group()).channel(NioSocketChannel.class)
                .option(ChannelOption.TCP_NODELAY, true)
                .handler(new ChannelInitializer<SocketChannel>() {
                    @Override
                    protected void initChannel(SocketChannel ch) {
                    }
                });
        return future(b.connect(target)).thenCompose(ch -> future(ch.writeAndFlush(Unpooled.wrappedBuffer(bytes))))
                .thenApply(ch -> {
                    // distro's server reads one data event per connection; closing marks where the message ends.
                    ch.close();
                    return null;
                });
    }

    /** Handles one decoded message on a handler thread: confirmation first (as distro), then the router. */
    private void handle(Router router, Logger logger, Channel via, Message m, String from) {
        InetSocketAddress reply = DistroJson.replyAddress(m);
        if (reply != null && DistroJson.confirmedId(m) == null) {
            deliver(via, reply, DistroJson.encode(DistroJson.received(m))).exceptionally(e -> {
                logger.debug("{}: confirmation of {} to {} failed: {}", name, m.id(), reply, e.toString());
                return null;
            });
        }
        router.dispatch(m, from);
    }

    private Message parse(ByteBuf content, Logger logger, Object from) {
        try {
            return DistroJson.decode(ByteBufUtil.getBytes(content));
        } catch (RuntimeException e) {
            garbage.increment();
            logger.warn("{}: dropped a malformed message from {}: {}", name, from, e.getMessage());
            return null;
        }
    }

    @Override
    public Server server(Info info, Logger logger) {
        return new JsonServer(info, logger);
    }

    private final class JsonServer implements Server {
        private final Router router = new Router();
        private final CompletableFuture<Channel> bound = new CompletableFuture<>();
        private final Info info;
        private final Logger logger;

        JsonServer(Info info, Logger logger) {
            this.info = info;
            this.logger = logger;
        }

        @Override
        public Router router() {
            return router;
        }

        @Override
        public synchronized CompletableFuture<Server> start() {
            CompletableFuture<Channel> f;
            if (udp) {
                f = future(new Bootstrap().group(Loops.group()).channel(NioDatagramChannel.class)
                        .handler(new SimpleChannelInboundHandler<DatagramPacket>() {
                            @Override
                            protected void channelRead0(ChannelHandlerContext ctx, DatagramPacket p) {
                                Message m = parse(p.content(), logger, p.sender());
                                if (m != null) {
                                    Channel ch = ctx.channel();
                                    String from = p.sender().toString();
                                    HANDLERS.execute(() -> handle(router, logger, ch, m, from));
                                }
                            }
                        }).bind(bindAddress(info)));
            } else {
                f = future(new ServerBootstrap().group(Loops.group()).channel(NioServerSocketChannel.class)
                        .childOption(ChannelOption.TCP_NODELAY, true)
                        .childHandler(new ChannelInitializer<SocketChannel>() {
                            @Override
                            protected void initChannel(SocketChannel ch) {
                                ch.pipeline().addLast(new JsonObjectDecoder(MAX_MESSAGE), new TcpHandler());
                            }
                        }).bind(bindAddress(info)));
            }
            return f.thenApply(ch -> {
                bound.complete(ch);
                logger.info("{} server listening on {}", name, ch.localAddress());
                return this;
            });
        }

        private final class TcpHandler extends SimpleChannelInboundHandler<ByteBuf> {
            @Override
            protected void channelRead0(ChannelHandlerContext ctx, ByteBuf b) {
                Message m = parse(b, logger, ctx.channel().remoteAddress());
                if (m == null) {
                    ctx.close();
                    return;
                }
                String from = String.valueOf(ctx.channel().remoteAddress());
                HANDLERS.execute(() -> handle(router, logger, null, m, from));
            }

            @Override
            public void exceptionCaught(ChannelHandlerContext ctx, Throwable e) {
                garbage.increment();
                logger.warn("{}: closing {}: {}", name, ctx.channel().remoteAddress(), e.toString());
                ctx.close();
            }
        }

        Channel channel() {
            return bound.join();
        }

        @Override
        public Info info() {
            Channel ch = bound.getNow(null);
            if (ch == null) {
                return info;
            }
            InetSocketAddress a = (InetSocketAddress) ch.localAddress();
            return new Info(a.getAddress().getHostAddress(), a.getPort());
        }

        @Override
        public CompletableFuture<Void> close() {
            Channel ch = bound.getNow(null);
            return ch == null ? CompletableFuture.completedFuture(null) : future(ch.close()).thenApply(c -> null);
        }
    }

    @Override
    public Client client(Info info, Logger logger) {
        InetSocketAddress target = new InetSocketAddress(info.address(), info.port());
        Map<String, CompletableFuture<Message>> waiting = new ConcurrentHashMap<>();
        Router confirmations = new Router().receive(ctx -> {
            String id = DistroJson.confirmedId(ctx.message());
            CompletableFuture<Message> f = id == null ? null : waiting.remove(id);
            if (f != null) {
                f.complete(ctx.message());
            }
            return null;
        });
        // The confirmations come back to a server of the same kind: distro sends them over a new connection.
        InetAddress local = target.getAddress().isLoopbackAddress() ? target.getAddress() : anyLocal();
        JsonServer replies = new JsonServer(new Info(local.getHostAddress(), 0), logger);
        replies.router().receive(ctx -> confirmations.dispatch(ctx.message(), ctx.from()).reply());
        CompletableFuture<Server> started = new CompletableFuture<>();
        Object lock = new Object();
        return new Client() {
            private volatile boolean closed;

            private CompletableFuture<Server> replies() {
                synchronized (lock) {
                    if (!started.isDone() && !closed) {
                        replies.start().whenComplete((s, e) -> {
                            if (e != null) {
                                started.completeExceptionally(e);
                            } else {
                                started.complete(s);
                            }
                        });
                    }
                }
                return started;
            }

            @Override
            public CompletableFuture<Void> send(Message m) {
                if (closed) {
                    return CompletableFuture.failedFuture(new ClosedException("client closed"));
                }
                if (!udp) {
                    return deliver(null, target, DistroJson.encode(m));
                }
                // A UDP send goes out from the reply socket, so a distro server's confirmation also finds it.
                return replies().thenCompose(s -> deliver(replies.channel(), target, DistroJson.encode(m)));
            }

            @Override
            public CompletableFuture<Message> sendConfirmed(Message m, Duration timeout) {
                return replies().thenCompose(s -> {
                    Message out = m.withHeaders(m.headers().withAll(DistroJson.ADDRESS, s.info().address(),
                            DistroJson.PORT, Integer.toString(s.info().port())));
                    CompletableFuture<Message> f = new CompletableFuture<>();
                    waiting.put(out.id().toString(), f);
                    Loops.group().schedule(() -> {
                        if (waiting.remove(out.id().toString(), f)) {
                            f.completeExceptionally(new RequestTimeoutException("no RECEIVED for " + out.id()
                                    + " within " + timeout.toMillis() + " ms"));
                        }
                    }, timeout.toMillis(), TimeUnit.MILLISECONDS);
                    send(out).exceptionally(e -> {
                        waiting.remove(out.id().toString());
                        f.completeExceptionally(e);
                        return null;
                    });
                    return f;
                });
            }

            @Override
            public CompletableFuture<Response> request(Message m, Duration timeout) {
                return CompletableFuture.failedFuture(new UnsupportedOperationException(
                        "distro has no request/response; use sendConfirmed or a native transport"));
            }

            @Override
            public CompletableFuture<Void> close() {
                closed = true;
                ClosedException c = new ClosedException("client closed");
                waiting.values().forEach(f -> f.completeExceptionally(c));
                waiting.clear();
                return replies.close();
            }
        };
    }

    private static InetAddress anyLocal() {
        try {
            return InetAddress.getLocalHost();
        } catch (java.net.UnknownHostException e) {
            return InetAddress.getLoopbackAddress();
        }
    }
}

package io.meshbus.route;

import io.meshbus.error.ClosedException;
import io.meshbus.error.FrameTooLargeException;
import io.meshbus.error.ProtocolViolationException;
import io.meshbus.error.RequestTimeoutException;
import io.meshbus.message.Headers;
import io.meshbus.message.Message;
import io.meshbus.wire.Protocol;
import io.meshbus.wire.WireFormat;
import io.netty.bootstrap.Bootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.DatagramPacket;
import io.netty.channel.socket.InternetProtocolFamily;
import io.netty.channel.socket.nio.NioDatagramChannel;
import io.netty.util.concurrent.DefaultThreadFactory;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executor;
import java.util.concurrent.ForkJoinPool;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;
import org.slf4j.Logger;

/**
 * The distro API over UDP: one message per datagram, encoded as one frame of the Meshbus wire format. Confirmed
 * messages and requests are re-sent until answered (datagrams get lost); the server remembers the answers it gave to
 * recent message ids, so a re-sent message is answered again but handled once. Garbage datagrams are counted and
 * dropped.
 */
final class UdpCarrier implements DistroTransport {
    /** Largest UDP payload over IPv4 (65,535 - 8 UDP - 20 IP header bytes); also used for IPv6. */
    static final int MAX_DATAGRAM = 65_507;
    static final Duration RETRY_EVERY = Duration.ofMillis(200);
    private static final int REMEMBERED_ANSWERS = 10_000;
    private static volatile EventLoopGroup group;
    private static final Executor HANDLERS = new ForkJoinPool(Math.max(2, Runtime.getRuntime().availableProcessors()),
            ForkJoinPool.defaultForkJoinWorkerThreadFactory, null, true);

    private final boolean ipv6;

    UdpCarrier(boolean ipv6) {
        this.ipv6 = ipv6;
    }

    @Override
    public String name() {
        return ipv6 ? "udp6" : "udp4";
    }

    private static EventLoopGroup group() {
        EventLoopGroup g = group;
        if (g == null) {
            synchronized (UdpCarrier.class) {
                g = group;
                if (g == null) {
                    g = new MultiThreadIoEventLoopGroup(Math.max(2, Runtime.getRuntime().availableProcessors()),
                            new DefaultThreadFactory("meshbus-udp", true),
                            NioIoHandler.newFactory());
                    group = g;
                }
            }
        }
        return g;
    }

    private InetSocketAddress address(Info info) {
        String a = info.address();
        if (ipv6 && a.equals("127.0.0.1")) {
            a = "::1";
        }
        return new InetSocketAddress(a, info.port());
    }

    @SuppressWarnings("deprecation")
    private CompletableFuture<Channel> bind(InetSocketAddress at, SimpleChannelInboundHandler<DatagramPacket> h) {
        CompletableFuture<Channel> f = new CompletableFuture<>();
        new Bootstrap().group(group())
                .channelFactory(() -> new NioDatagramChannel(ipv6 ? InternetProtocolFamily.IPv6
                        : InternetProtocolFamily.IPv4))
                .handler(h)
                .bind(at).addListener((ChannelFuture cf) -> {
                    if (cf.isSuccess()) {
                        f.complete(cf.channel());
                    } else {
                        f.completeExceptionally(new IllegalStateException("cannot bind " + name() + " " + at + ": "
                                + cf.cause().getMessage(), cf.cause()));
                    }
                });
        return f;
    }

    /** One datagram's bytes; plain arrays, so a datagram re-sent from a timer needs no reference counting. */
    static byte[] encode(Message m) {
        ByteBuf b = Unpooled.buffer(m.payloadSize() + 128);
        try {
            WireFormat.writeData(b, m, MAX_DATAGRAM);
        } catch (FrameTooLargeException e) {
            throw new FrameTooLargeException("message " + m.id() + " does not fit in one UDP datagram (at most "
                    + MAX_DATAGRAM + " bytes)");
        }
        byte[] out = new byte[b.readableBytes()];
        b.readBytes(out);
        return out;
    }

    private static DatagramPacket packet(byte[] bytes, InetSocketAddress to) {
        return new DatagramPacket(Unpooled.wrappedBuffer(bytes), to);
    }

    /** The message in a datagram, or null (counted) when it is not one well-formed frame. */
    static Message decode(ByteBuf in, LongAdder garbage, Logger logger) {
        try {
            if (in.readableBytes() < Protocol.LENGTH_FIELD + 1) {
                throw new ProtocolViolationException("datagram of " + in.readableBytes() + " bytes is too short");
            }
            long len = in.readUnsignedInt();
            if (len != in.readableBytes()) {
                throw new ProtocolViolationException("frame length " + len + " does not match the datagram ("
                        + in.readableBytes() + " bytes)");
            }
            Object o = WireFormat.read(in, (int) len);
            if (o instanceof Message m) {
                return m;
            }
            throw new ProtocolViolationException("not a DATA frame");
        } catch (ProtocolViolationException | IndexOutOfBoundsException e) {
            garbage.increment();
            logger.debug("dropped a malformed datagram: {}", e.getMessage());
            return null;
        }
    }

    @Override
    public Server server(Info info, Logger logger) {
        Router router = new Router();
        LongAdder garbage = new LongAdder();
        Map<java.util.UUID, Message> answers = java.util.Collections.synchronizedMap(
                new LinkedHashMap<>(1024, 0.75f, true) {
                    @Override
                    protected boolean removeEldestEntry(Map.Entry<java.util.UUID, Message> e) {
                        return size() > REMEMBERED_ANSWERS;
                    }
                });
        CompletableFuture<Channel>[] channel = new CompletableFuture[1];
        return new Server() {
            @Override
            public Router router() {
                return router;
            }

            @Override
            public CompletableFuture<Server> start() {
                channel[0] = bind(address(info), new SimpleChannelInboundHandler<>() {
                    @Override
                    protected void channelRead0(ChannelHandlerContext ctx, DatagramPacket p) {
                        Message m = decode(p.content(), garbage, logger);
                        if (m == null) {
                            return;
                        }
                        InetSocketAddress sender = p.sender();
                        Channel ch = ctx.channel();
                        HANDLERS.execute(() -> handle(ch, m, sender));
                    }
                });
                return channel[0].thenApply(ch -> {
                    logger.info("{} server listening on {}", name(), ch.localAddress());
                    return this;
                });
            }

            private void handle(Channel ch, Message m, InetSocketAddress sender) {
                boolean confirm = Exchange.wantsConfirmation(m);
                boolean respond = Exchange.wantsResponse(m);
                if (confirm || respond) {
                    Message before = answers.get(m.id());
                    if (before != null) {
                        ch.writeAndFlush(packet(encode(before), sender));
                        return;
                    }
                }
                if (confirm) {
                    Message r = Exchange.received(m);
                    answers.put(m.id(), r);
                    ch.writeAndFlush(packet(encode(r), sender));
                }
                Router.Outcome o = router.dispatch(m, sender.toString());
                if (respond) {
                    Message r = Exchange.response(o, m.header(Headers.CORRELATION_ID));
                    byte[] out;
                    try {
                        out = encode(r);
                    } catch (FrameTooLargeException e) {
                        r = Exchange.response(new Router.Outcome(Status.ERROR, null, e.getMessage()),
                                m.header(Headers.CORRELATION_ID));
                        out = encode(r);
                    }
                    answers.put(m.id(), r);
                    ch.writeAndFlush(packet(out, sender));
                }
            }

            @Override
            public Info info() {
                Channel ch = channel[0] == null ? null : channel[0].getNow(null);
                if (ch == null) {
                    return info;
                }
                InetSocketAddress a = (InetSocketAddress) ch.localAddress();
                return new Info(a.getAddress().getHostAddress(), a.getPort());
            }

            @Override
            public CompletableFuture<Void> close() {
                return channel[0] == null ? CompletableFuture.completedFuture(null)
                        : channel[0].thenCompose(ch -> {
                            CompletableFuture<Void> done = new CompletableFuture<>();
                            ch.close().addListener(f -> done.complete(null));
                            return done;
                        });
            }
        };
    }

    @Override
    public Client client(Info info, Logger logger) {
        InetSocketAddress target = address(info);
        LongAdder garbage = new LongAdder();
        ConcurrentHashMap<String, CompletableFuture<Message>> pending = new ConcurrentHashMap<>();
        AtomicLong seq = new AtomicLong();
        String prefix = Long.toHexString(System.nanoTime()) + "-";
        InetSocketAddress local = ipv6 ? new InetSocketAddress("::1", 0) : new InetSocketAddress("127.0.0.1", 0);
        if (!target.getAddress().isLoopbackAddress()) {
            local = new InetSocketAddress(0);
        }
        CompletableFuture<Channel> channel = bind(local, new SimpleChannelInboundHandler<>() {
            @Override
            protected void channelRead0(ChannelHandlerContext ctx, DatagramPacket p) {
                Message m = decode(p.content(), garbage, logger);
                String corr = m == null ? null : m.header(Headers.CORRELATION_ID);
                CompletableFuture<Message> f = corr == null ? null : pending.remove(corr);
                if (f != null) {
                    HANDLERS.execute(() -> f.complete(m));
                }
            }
        });
        return new Client() {
            @Override
            public CompletableFuture<Void> send(Message m) {
                byte[] out;
                try {
                    out = encode(m);
                } catch (FrameTooLargeException e) {
                    return CompletableFuture.failedFuture(e);
                }
                return channel.thenCompose(ch -> {
                    if (!ch.isWritable()) {
                        // Datagrams waiting in the event loop above the water mark: refuse rather than buffer.
                        return CompletableFuture.failedFuture(new io.meshbus.error.BackPressureException(
                                "too many datagrams waiting to be sent to " + target));
                    }
                    CompletableFuture<Void> done = new CompletableFuture<>();
                    ch.writeAndFlush(packet(out, target)).addListener(f -> {
                        if (f.isSuccess()) {
                            done.complete(null);
                        } else {
                            done.completeExceptionally(new ClosedException("datagram not sent: " + f.cause()));
                        }
                    });
                    return done;
                });
            }

            @Override
            public CompletableFuture<Message> sendConfirmed(Message m, Duration timeout) {
                return exchange(m, timeout, Exchange.CONFIRM, "1");
            }

            @Override
            public CompletableFuture<Response> request(Message m, Duration timeout) {
                return exchange(m, timeout, Headers.REPLY_TO, "udp").thenApply(Exchange::toResponse);
            }

            /** Sends, then re-sends the same datagram (same message id) until answered or out of time. */
            private CompletableFuture<Message> exchange(Message m, Duration timeout, String key, String value) {
                String corr = prefix + seq.incrementAndGet();
                Message out = m.withHeaders(m.headers().withAll(Headers.CORRELATION_ID, corr, key, value));
                byte[] bytes;
                try {
                    bytes = encode(out);
                } catch (FrameTooLargeException e) {
                    return CompletableFuture.failedFuture(e);
                }
                CompletableFuture<Message> f = new CompletableFuture<>();
                pending.put(corr, f);
                long deadline = System.nanoTime() + timeout.toNanos();
                channel.thenAccept(ch -> resend(ch, bytes, f, deadline, corr));
                return f;
            }

            private void resend(Channel ch, byte[] bytes, CompletableFuture<Message> f, long deadline, String corr) {
                if (f.isDone()) {
                    return;
                }
                long left = deadline - System.nanoTime();
                if (left <= 0) {
                    if (pending.remove(corr, f)) {
                        HANDLERS.execute(() -> f.completeExceptionally(new RequestTimeoutException("no answer from "
                                + target + " over " + name())));
                    }
                    return;
                }
                ch.writeAndFlush(packet(bytes, target));
                ch.eventLoop().schedule(() -> resend(ch, bytes, f, deadline, corr),
                        Math.min(left, RETRY_EVERY.toNanos()), TimeUnit.NANOSECONDS);
            }

            @Override
            public CompletableFuture<Void> close() {
                return channel.thenCompose(ch -> {
                    CompletableFuture<Void> done = new CompletableFuture<>();
                    ch.close().addListener(x -> done.complete(null));
                    return done;
                });
            }
        };
    }
}

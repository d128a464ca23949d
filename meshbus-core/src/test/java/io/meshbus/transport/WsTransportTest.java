package io.meshbus.transport;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.http.websocketx.BinaryWebSocketFrame;
import io.netty.handler.codec.http.websocketx.ContinuationWebSocketFrame;
import io.netty.handler.codec.http.websocketx.TextWebSocketFrame;
import java.io.ByteArrayOutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/** Connections that never finish their upgrade are bounded; fragmented binary messages are carried. */
class WsTransportTest {
    private static final LinkInitializer NOTHING = (ch, accepted) -> { };

    private static Socket raw(URI at) throws Exception {
        Socket s = new Socket();
        s.connect(new InetSocketAddress("127.0.0.1", at.getPort()), 5000);
        s.setSoTimeout(10_000);
        return s;
    }

    @Test
    void shouldCloseConnectionsThatSendNothingOrHalfAnUpgradeAtTheDeadline() throws Exception {
        WsTransport ws = new WsTransport(TransportResources.shared(), null, Duration.ofMillis(300), 16);
        Listener l = ws.listen(URI.create("ws://127.0.0.1:0/mesh"), NOTHING).get(10, TimeUnit.SECONDS);
        long before = WsTransport.metrics().get("wsUpgradeTimeouts");
        try (Socket silent = raw(l.address()); Socket half = raw(l.address())) {
            half.getOutputStream().write("GET /mesh HTTP/1.1\r\nHost: x\r\n".getBytes(StandardCharsets.US_ASCII));
            assertThat(silent.getInputStream().read()).isEqualTo(-1);
            assertThat(half.getInputStream().read()).isEqualTo(-1);
            assertThat(WsTransport.metrics().get("wsUpgradeTimeouts") - before).isGreaterThanOrEqualTo(2);
        } finally {
            l.close().get(10, TimeUnit.SECONDS);
        }
    }

    @Test
    void shouldRefuseConnectionsPastThePendingUpgradeCapAndUpgradeOnceThereIsRoom() throws Exception {
        WsTransport ws = new WsTransport(TransportResources.shared(), null, Duration.ofSeconds(30), 2);
        CompletableFuture<Channel> accepted = new CompletableFuture<>();
        Listener l = ws.listen(URI.create("ws://127.0.0.1:0/"), (ch, in) -> accepted.complete(ch))
                .get(10, TimeUnit.SECONDS);
        long before = WsTransport.metrics().get("wsUpgradesRefused");
        try {
            List<Socket> silent = new ArrayList<>();
            for (int i = 0; i < 3; i++) {
                silent.add(raw(l.address()));
            }
            // Accepted connections are set up on several event loops, so which of the three is refused may vary.
            await().atMost(Duration.ofSeconds(10))
                    .until(() -> WsTransport.metrics().get("wsUpgradesRefused") - before == 1);
            for (Socket s : silent) {
                s.close();
            }
            // The closed ones free their places: a real client upgrades.
            await().atMost(Duration.ofSeconds(10)).until(() -> {
                try {
                    Channel c = ws.connect(l.address(), NOTHING, Duration.ofSeconds(5)).get(10, TimeUnit.SECONDS);
                    c.close();
                    return true;
                } catch (Exception e) {
                    return false;
                }
            });
            assertThat(accepted.get(10, TimeUnit.SECONDS)).isNotNull();
        } finally {
            l.close().get(10, TimeUnit.SECONDS);
        }
    }

    @Test
    void shouldCarryABinaryMessageSplitIntoContinuationFrames() throws Exception {
        ByteArrayOutputStream got = new ByteArrayOutputStream();
        CompletableFuture<byte[]> all = new CompletableFuture<>();
        LinkInitializer collect = (ch, in) -> ch.pipeline().addLast(new ChannelInboundHandlerAdapter() {
            @Override
            public void channelRead(ChannelHandlerContext ctx, Object msg) {
                ByteBuf b = (ByteBuf) msg;
                byte[] a = new byte[b.readableBytes()];
                b.readBytes(a);
                b.release();
                got.writeBytes(a);
                if (got.size() == 9) {
                    all.complete(got.toByteArray());
                }
            }
        });
        WsTransport ws = new WsTransport();
        Listener l = ws.listen(URI.create("ws://127.0.0.1:0/"), collect).get(10, TimeUnit.SECONDS);
        try {
            Channel c = ws.connect(l.address(), NOTHING, Duration.ofSeconds(5)).get(10, TimeUnit.SECONDS);
            c.write(new BinaryWebSocketFrame(false, 0, Unpooled.wrappedBuffer(new byte[] {1, 2, 3})));
            c.write(new ContinuationWebSocketFrame(false, 0, Unpooled.wrappedBuffer(new byte[] {4, 5, 6})));
            c.writeAndFlush(new ContinuationWebSocketFrame(true, 0, Unpooled.wrappedBuffer(new byte[] {7, 8, 9})));
            assertThat(all.get(10, TimeUnit.SECONDS)).containsExactly(1, 2, 3, 4, 5, 6, 7, 8, 9);
            c.close();
        } finally {
            l.close().get(10, TimeUnit.SECONDS);
        }
    }

    @Test
    void shouldRefuseATextMessageOnceAndReadNothingAfterIt() throws Exception {
        AtomicInteger errors = new AtomicInteger();
        CompletableFuture<Void> closed = new CompletableFuture<>();
        LinkInitializer watch = (ch, in) -> {
            ch.closeFuture().addListener(f -> closed.complete(null));
            ch.pipeline().addLast(new ChannelInboundHandlerAdapter() {
                @Override
                public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
                    errors.incrementAndGet();
                }
            });
        };
        WsTransport ws = new WsTransport();
        Listener l = ws.listen(URI.create("ws://127.0.0.1:0/"), watch).get(10, TimeUnit.SECONDS);
        try {
            Channel c = ws.connect(l.address(), NOTHING, Duration.ofSeconds(5)).get(10, TimeUnit.SECONDS);
            for (int i = 0; i < 20; i++) {
                c.write(new TextWebSocketFrame("not a frame " + i));
            }
            c.flush();
            closed.get(10, TimeUnit.SECONDS);
            assertThat(errors.get()).isEqualTo(1);
        } finally {
            l.close().get(10, TimeUnit.SECONDS);
        }
    }
}

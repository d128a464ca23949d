package io.meshbus.compat;

import com.code_intelligence.jazzer.junit.FuzzTest;
import io.meshbus.bus.Host;
import io.meshbus.bus.Ports;
import io.meshbus.codec.CodecException;
import io.meshbus.message.Message;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandler;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.http.websocketx.BinaryWebSocketFrame;
import io.netty.handler.codec.http.websocketx.TextWebSocketFrame;
import io.netty.handler.codec.http.websocketx.WebSocketClientProtocolHandler;
import io.netty.handler.codec.http.websocketx.WebSocketFrame;
import io.netty.util.ReferenceCountUtil;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * The compat dialects' parsers of network bytes, fuzzed with Jazzer. Under plain {@code mvn test} each target replays
 * its seeds (src/test/resources/io/meshbus/compat/ParserFuzzTestInputs/TARGET) as a regression test; with
 * {@code JAZZER_FUZZ=1} one target is fuzzed. The rule: bad bytes give the documented typed error (or, for the
 * connection handlers, a closed link), nothing else, and never hang.
 */
class ParserFuzzTest {
    /** Stands for the id of the request in flight, so that fuzzed input can answer it. */
    private static final String PENDING_ID = "@ID";
    /** The connection's url: nothing listens there, and the gateway is never started to dial it anyway. */
    private static final String DEAD_URL = "ws://127.0.0.1:" + Ports.unused();
    /** Not started: the connection only needs it for its error counters, and requests go nowhere once closed. */
    private static DistribusGateway gateway;

    @FuzzTest(maxDuration = "30s")
    void distroJson(byte[] input) {
        Message m;
        try {
            m = DistroJson.decode(input);
        } catch (CodecException expected) {
            // the only failure DistroJson.decode documents
            return;
        }
        // What a distro server does next with a received message: both read fields the sender controls.
        DistroJson.confirmedId(m);
        DistroJson.replyAddress(m);
    }

    /**
     * CRLF records on a masterless link: the first byte picks an outgoing ('O') or incoming handshake, the rest is what
     * the other node sends, in odd-sized chunks. Every error must close the link, never escape the handler.
     */
    @FuzzTest(maxDuration = "30s")
    void masterlessRecords(byte[] input) throws Exception {
        if (input.length == 0) {
            return;
        }
        boolean outgoing = input[0] == 'O';
        MasterlessNode node = MasterlessNode.create("fuzz-node", "masterless+tcp://127.0.0.1:0", 1024, 16);
        EmbeddedChannel ch = new EmbeddedChannel(false, false);
        CompletableFuture<String> done = new CompletableFuture<>();
        if (outgoing) {
            // not kept, so a broken link is never re-dialled
            node.initOutgoing(ch, "127.0.0.1", 1, done, false);
        } else {
            node.initIncoming(ch);
        }
        Probe probe = Probe.before(ch);
        ch.register();
        try {
            for (int at = 1; at < input.length && ch.isOpen(); at += 11) {
                ch.writeInbound(Unpooled.wrappedBuffer(input, at, Math.min(11, input.length - at)));
                probe.rethrow();
            }
            ch.close();
            probe.rethrow();
        } finally {
            releaseAll(ch);
            node.close().orTimeout(10, TimeUnit.SECONDS).join();
        }
    }

    /**
     * Text frames on a distribus link, one per line; a leading NUL makes the rest one binary frame instead. A request
     * is in flight, and {@value #PENDING_ID} in the input stands for its id, so responses are reached too.
     */
    @FuzzTest(maxDuration = "30s")
    void distribusEnvelope(byte[] input) throws IOException {
        DistribusConnection c = new DistribusConnection(gateway().links(), true, DEAD_URL, Duration.ofMinutes(1));
        EmbeddedChannel ch = new EmbeddedChannel(c);
        try {
            ch.pipeline().fireUserEventTriggered(WebSocketClientProtocolHandler.ClientHandshakeStateEvent
                    .HANDSHAKE_COMPLETE);
            c.request("ping", null);
            TextWebSocketFrame sent = ch.readOutbound();
            String id = DistroJson.MAPPER.readTree(sent.text()).get("id").asText();
            sent.release();
            ChannelHandlerContext ctx = ch.pipeline().context(c);
            if (input.length > 0 && input[0] == 0) {
                read(c, ctx, new BinaryWebSocketFrame(Unpooled.wrappedBuffer(input, 1, input.length - 1)));
                return;
            }
            for (String line : new String(input, StandardCharsets.UTF_8).split("\n", -1)) {
                if (!ch.isOpen()) {
                    break;
                }
                read(c, ctx, new TextWebSocketFrame(line.replace(PENDING_ID, id)));
            }
        } finally {
            releaseAll(ch);
        }
    }

    /** Straight into the handler: through the pipeline, its exceptionCaught would hide a crash as a lost link. */
    private static void read(DistribusConnection c, ChannelHandlerContext ctx, WebSocketFrame frame) {
        try {
            c.channelRead0(ctx, frame);
        } finally {
            frame.release();
        }
    }

    private static synchronized DistribusGateway gateway() {
        if (gateway == null) {
            Host host = Host.builder().id("fuzz-host").build();
            gateway = DistribusGateway.builder(host).build();
            gateway.close().join();
        }
        return gateway;
    }

    private static void releaseAll(EmbeddedChannel ch) {
        for (Object o; (o = ch.readOutbound()) != null; ) {
            ReferenceCountUtil.release(o);
        }
        ch.finishAndReleaseAll();
    }

    /**
     * Sits before the last handler and calls it directly, so an exception it throws is caught here rather than by its
     * own exceptionCaught, which turns anything into a closed link.
     */
    private static final class Probe extends ChannelInboundHandlerAdapter {
        private final ChannelInboundHandler target;
        private final ChannelHandlerContext targetCtx;
        private Throwable thrown;

        private Probe(ChannelInboundHandler target, ChannelHandlerContext targetCtx) {
            this.target = target;
            this.targetCtx = targetCtx;
        }

        static Probe before(EmbeddedChannel ch) {
            ChannelHandlerContext last = ch.pipeline().lastContext();
            ChannelHandler h = last.handler();
            Probe p = new Probe((ChannelInboundHandler) h, last);
            ch.pipeline().addBefore(last.name(), "probe", p);
            return p;
        }

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            try {
                target.channelRead(targetCtx, msg);
            } catch (Throwable t) {
                if (thrown == null) {
                    thrown = t;
                }
            }
        }

        void rethrow() {
            Throwable t = thrown;
            if (t instanceof RuntimeException r) {
                throw r;
            }
            if (t != null) {
                throw new AssertionError("the masterless handler threw", t);
            }
        }
    }
}

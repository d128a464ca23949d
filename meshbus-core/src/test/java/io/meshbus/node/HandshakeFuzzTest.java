package io.meshbus.node;

import static org.assertj.core.api.Assertions.assertThat;

import com.code_intelligence.jazzer.junit.FuzzTest;
import io.meshbus.codec.ContentType;
import io.meshbus.error.ErrorCode;
import io.meshbus.error.ProtocolViolationException;
import io.meshbus.message.Headers;
import io.meshbus.message.Message;
import io.meshbus.transport.Transports;
import io.meshbus.wire.ControlFrameEncoder;
import io.meshbus.wire.Frame;
import io.meshbus.wire.FrameDecoder;
import io.meshbus.wire.Protocol;
import io.meshbus.wire.WireFormat;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.DecoderException;
import io.netty.util.ReferenceCountUtil;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Timeout;

/**
 * The handshake state machine, fuzzed statefully: one node link on an {@link EmbeddedChannel} (no threads, frozen
 * time) is fed a frame sequence the fuzzer chooses, in either role, with or without a network secret and a token
 * authenticator. The harness knows the secret and the accepted token, so the fuzzer can also play a correct peer and
 * reach the states after authentication. Whatever it sends, nothing may escape the pipeline or fail inside the node,
 * and once the handshake time has passed the link is either active or closed, the closing counted (or asked for by
 * the fuzzer's own BYE or REJECT).
 *
 * <p>Input: one configuration byte (bit 0 the node dials, 1 secret, 2 token authenticator, 3 the node presents the
 * accepted token, 4 it expects the peer's id, 5 it keeps the link), then operations of one byte each followed by
 * their arguments (see {@link Peer#next}); running out of input reads zeros. Seeds are in
 * src/test/resources/io/meshbus/node/HandshakeFuzzTestInputs/handshake.
 */
class HandshakeFuzzTest {
    static final String SELF = "m-node";
    static final String[] IDS = {"z-peer", "a-peer", SELF, "", "m-node-2"};
    static final byte[] SECRET = "the fuzzed network's secret".getBytes(StandardCharsets.UTF_8);
    static final byte[] TOKEN = "a token the node accepts".getBytes(StandardCharsets.UTF_8);
    static final Authenticator TOKENS = TokenAuthenticator.of(Map.of("peer", TOKEN));
    static final Transports TRANSPORTS = Transports.discover();
    static final Duration HANDSHAKE = Duration.ofSeconds(1);

    /** A cursor over the fuzzer's bytes; past the end it reads zeros, so every input is a complete script. */
    static final class Script {
        private final byte[] in;
        private int at;

        Script(byte[] in) {
            this.in = in;
        }

        boolean more() {
            return at < in.length;
        }

        int u8() {
            return at < in.length ? in[at++] & 0xff : 0;
        }

        byte[] bytes(int n) {
            int k = Math.min(n, in.length - at);
            byte[] b = new byte[k];
            System.arraycopy(in, at, b, 0, k);
            at += k;
            return b;
        }
    }

    /** Any one input taking this long is a hang: a finding when fuzzing, a failure when replayed. */
    @Timeout(10)
    @FuzzTest(maxDuration = "30s")
    void handshake(byte[] input) {
        Script s = new Script(input);
        int config = s.u8();
        boolean dialler = (config & 1) != 0;
        boolean withSecret = (config & 2) != 0;
        boolean withAuthenticator = (config & 4) != 0;
        NodeOptions.Builder b = Node.builder(SELF).transports(TRANSPORTS).executor(Runnable::run)
                .handshakeTimeout(HANDSHAKE).closeTimeout(Duration.ofMillis(100))
                .reconnectGiveUp(Duration.ofMillis(100)).reconnectDelay(Delay.constant(Duration.ofSeconds(1)))
                .credentials((config & 8) != 0 ? TOKEN : null);
        if (withSecret) {
            b.secret(SECRET);
        }
        if (withAuthenticator) {
            b.authenticator(TOKENS);
        }
        Node node = b.build();
        DialContext dial = dialler ? new DialContext(URI.create("fuzz://peer"),
                (config & 16) != 0 ? IDS[0] : null, (config & 32) != 0, false, new CompletableFuture<>()) : null;
        EmbeddedChannel ch = new EmbeddedChannel();
        ch.freezeTime();
        NodeLink link = new NodeLink(node, ch, dial);
        ch.pipeline().addLast("frames", new FrameDecoder(64 * 1024, Protocol.MAX_HANDSHAKE_FRAME, dialler))
                .addLast("control", ControlFrameEncoder.INSTANCE).addLast("link", link);
        long countedBefore = counted(node.metrics);
        Peer peer = new Peer(dialler);
        try {
            peer.observe(ch);
            while (s.more() && ch.isOpen()) {
                ByteBuf out = Unpooled.buffer();
                if (peer.next(s, out)) {
                    // Tasks (an authenticator's verdict, say) run only when the script says so: frames sent before
                    // then arrive while the link is still deciding.
                    ch.runPendingTasks();
                }
                if (out.isReadable()) {
                    peer.sent.writeBytes(out, out.readerIndex(), out.readableBytes());
                    ch.pipeline().fireChannelRead(out);
                    ch.pipeline().fireChannelReadComplete();
                } else {
                    out.release();
                }
                checkException(ch);
                peer.observe(ch);
            }
            ch.runPendingTasks();
            ch.advanceTimeBy(HANDSHAKE.toMillis() + 1_000, TimeUnit.MILLISECONDS);
            ch.runPendingTasks();
            peer.observe(ch);
            checkException(ch);
            assertThat(node.metrics.internalErrors()).as("internal errors").isZero();
            if (ch.isOpen()) {
                assertThat(link.state).as("an open link after the handshake time").isEqualTo(NodeLink.State.ACTIVE);
            } else {
                assertThat(counted(node.metrics) > countedBefore || peer.saidGoodbye())
                        .as("a link closed without a counted cause").isTrue();
            }
            if (dial != null && ch.isOpen()) {
                assertThat(dial.result()).isCompleted();
            }
        } finally {
            ch.finishAndReleaseAll();
            peer.sent.release();
        }
    }

    /**
     * Fails on an exception that went through the link unhandled. One case is the embedded channel's own: its close
     * runs the deregistration at once, inside the read that closed it, so the pipeline is gone while the decoder
     * still holds bytes, and an error in those reaches the tail. A real channel deregisters after the read, when the
     * link has already handled such an error.
     */
    private static void checkException(EmbeddedChannel ch) {
        try {
            ch.checkException();
        } catch (DecoderException e) {
            if (ch.isOpen() || !(e.getCause() instanceof ProtocolViolationException)) {
                throw e;
            }
        }
    }

    /** Everything a node counts when it closes or refuses a link during the handshake. */
    private static long counted(NodeMetrics m) {
        return m.protocolViolations.sum() + m.authenticationFailures.sum() + m.handshakesRejected.sum()
                + m.handshakeTimeouts.sum() + m.selfConnections.sum() + m.duplicateLinks.sum()
                + m.connectionsRefused.sum() + m.framesTooLarge.sum();
    }

    /** The fuzzer's side of the link: writes the frames the script asks for, and reads what the node says. */
    static final class Peer {
        private final boolean nodeDials;
        private byte[] nodeNonce;
        private byte[] myNonce = new byte[Protocol.NONCE];
        private String myId = IDS[0];
        boolean saidGoodbye;
        /** Every byte sent: split and garbage operations can add up to a BYE or REJECT the script never asked for. */
        final ByteBuf sent = Unpooled.buffer();

        Peer(boolean nodeDials) {
            this.nodeDials = nodeDials;
        }

        /** Whether the node was told goodbye, by an operation or by bytes that happened to frame one. */
        boolean saidGoodbye() {
            ByteBuf b = sent.duplicate();
            while (!saidGoodbye && b.readableBytes() >= 4) {
                int len = b.readInt();
                if (len < 1 || len > b.readableBytes()) {
                    break;
                }
                try {
                    Object f = WireFormat.read(b, len);
                    saidGoodbye = f instanceof Frame.Bye || f instanceof Frame.Reject;
                } catch (RuntimeException e) {
                    break; // the node closed here for a counted violation
                }
            }
            return saidGoodbye;
        }

        /** Reads the node's frames: its nonce is what a correct proof needs. */
        void observe(EmbeddedChannel ch) {
            for (Object o; (o = ch.readOutbound()) != null; ) {
                ByteBuf buf = (ByteBuf) o;
                try {
                    while (buf.readableBytes() >= 4) {
                        int len = buf.readInt();
                        Object f = WireFormat.read(buf, len);
                        if (f instanceof Frame.Challenge c) {
                            nodeNonce = c.nonce();
                        }
                    }
                } finally {
                    ReferenceCountUtil.release(buf);
                }
            }
        }

        private String id(Script s) {
            return IDS[s.u8() % IDS.length];
        }

        /** Appends the next operation's bytes; returns true for an operation that runs the pending tasks. */
        boolean next(Script s, ByteBuf out) {
            int op = s.u8() % 16;
            switch (op) {
                case 0 -> {
                    int v = s.u8();
                    int version = v < 200 ? Protocol.VERSION : v - 200;
                    myId = id(s);
                    int flags = s.u8();
                    String expected = (flags & 4) != 0 ? id(s) : "";
                    control(out, new Frame.Hello(version, myId, s.u8(), "", (flags & 1) != 0, expected,
                            (flags & 2) != 0));
                }
                case 1 -> {
                    myId = id(s);
                    control(out, new Frame.Accept(myId, s.u8(), (s.u8() & 1) != 0 ? "fuzz://peer" : "",
                            (s.u8() & 1) != 0));
                }
                case 2 -> {
                    saidGoodbye = true;
                    control(out, new Frame.Reject(ErrorCode.ofWire(s.u8() % 20), "fuzz", id(s)));
                }
                case 3 -> control(out, new Frame.Keep((s.u8() & 1) != 0));
                case 4 -> control(out, Frame.Ping.INSTANCE);
                case 5 -> {
                    saidGoodbye = true;
                    control(out, new Frame.Bye(ErrorCode.ofWire(s.u8() % 20), "fuzz"));
                }
                case 6 -> {
                    myId = id(s);
                    int n = s.u8();
                    myNonce = s.bytes(n < 128 ? Protocol.NONCE : n % 40);
                    control(out, new Frame.Challenge(myId, myNonce, s.bytes(s.u8() % 4)));
                }
                case 7 -> control(out, new Frame.Proof(validProof()));
                case 8 -> control(out, new Frame.Proof(s.bytes(s.u8() % 40)));
                case 9 -> control(out, new Frame.Credential(TOKEN));
                case 10 -> control(out, new Frame.Credential(s.bytes(s.u8())));
                // A fixed message id: the same input must give the same bytes.
                case 11 -> WireFormat.writeData(out, Message.adopt(new UUID(0, 1), Headers.EMPTY, ContentType.BYTES,
                        s.bytes(s.u8())), 64 * 1024);
                case 12 -> out.writeBytes(s.bytes(s.u8() % 32));
                case 13 -> {
                    // A frame split in two: the first half now, the rest with the next operation.
                    ByteBuf whole = Unpooled.buffer();
                    control(whole, new Frame.Credential(TOKEN));
                    out.writeBytes(whole, whole.readableBytes() / 2);
                    whole.release();
                }
                default -> {
                    return true;
                }
            }
            return false;
        }

        private byte[] validProof() {
            if (nodeNonce == null) {
                return new byte[Protocol.PROOF_SIZE];
            }
            Secret secret = new Secret(SECRET);
            return nodeDials ? secret.proof('A', nodeNonce, myNonce, myId, SELF)
                    : secret.proof('D', myNonce, nodeNonce, SELF, myId);
        }

        private static void control(ByteBuf out, Frame f) {
            WireFormat.writeControl(out, f);
        }
    }
}

package io.meshbus.wire;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.meshbus.codec.ContentType;
import io.meshbus.error.ErrorCode;
import io.meshbus.error.FrameTooLargeException;
import io.meshbus.error.ProtocolViolationException;
import io.meshbus.message.Headers;
import io.meshbus.message.Message;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.DecoderException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The frame decoder on an embedded channel: no sockets, every split of the byte stream. */
class FrameDecoderTest {
    private static final int MAX = 64 * 1024;

    private static ByteBuf encode(Object... frames) {
        ByteBuf out = Unpooled.buffer();
        for (Object f : frames) {
            if (f instanceof Message m) {
                WireFormat.writeData(out, m, MAX);
            } else {
                WireFormat.writeControl(out, (Frame) f);
            }
        }
        return out;
    }

    private static List<Object> readAll(EmbeddedChannel ch) {
        List<Object> out = new ArrayList<>();
        for (Object o; (o = ch.readInbound()) != null; ) {
            out.add(o);
        }
        return out;
    }

    @Test
    void shouldRoundTripEveryFrameType() {
        Message m = Message.of(Headers.builder().put(Headers.URI, "/orders").put(Headers.VERB, "POST")
                .put("x-custom", "é ü").build(), java.util.Map.of("sku", "a1"));
        Message custom = Message.ofBytes(Headers.EMPTY, ContentType.of("application/x-thing"), new byte[] {1, 2});
        Frame[] controls = {
            new Frame.Hello(Protocol.VERSION, "node-a", 42L, "tcp://127.0.0.1:0", true, "node-b", true),
            new Frame.Accept("node-b", 7L, "", false),
            new Frame.Reject(ErrorCode.SELF_CONNECTION, "self", "node-a"),
            new Frame.Keep(true), Frame.Ping.INSTANCE, new Frame.Bye(ErrorCode.CLOSED, "bye")};
        EmbeddedChannel ch = new EmbeddedChannel(new FrameDecoder(MAX));
        ch.writeInbound(encode(m, custom));
        ch.writeInbound(encode((Object[]) controls));
        List<Object> got = readAll(ch);
        assertThat(got).hasSize(2 + controls.length);
        Message back = (Message) got.get(0);
        assertThat(back.id()).isEqualTo(m.id());
        assertThat(back.headers()).isEqualTo(m.headers());
        assertThat(back.contentType()).isEqualTo(ContentType.JSON);
        assertThat(back.payloadText()).isEqualTo("{\"sku\":\"a1\"}");
        assertThat(((Message) got.get(1)).contentType().name()).isEqualTo("application/x-thing");
        assertThat(got.subList(2, got.size())).containsExactly((Object[]) controls);
    }

    @Test
    void shouldRoundTripCredentialsUpToTheirLimitAndRefuseTruncatedOnes() {
        byte[] big = new byte[Protocol.MAX_CREDENTIAL];
        big[big.length - 1] = 7;
        EmbeddedChannel ch = new EmbeddedChannel(new FrameDecoder(2 * MAX));
        ch.writeInbound(encode(new Frame.Credential(new byte[0]), new Frame.Credential(big)));
        List<Object> got = readAll(ch);
        assertThat(((Frame.Credential) got.get(0)).token()).isEmpty();
        assertThat(((Frame.Credential) got.get(1)).token()).isEqualTo(big);
        assertThatThrownBy(() -> WireFormat.writeControl(Unpooled.buffer(),
                new Frame.Credential(new byte[Protocol.MAX_CREDENTIAL + 1])))
                .isInstanceOf(IllegalArgumentException.class);
        byte[] truncated = {Protocol.CREDENTIAL, 0, 9, 'x'};
        assertThatThrownBy(() -> WireFormat.read(Unpooled.wrappedBuffer(truncated), truncated.length))
                .isInstanceOf(ProtocolViolationException.class).hasMessageContaining("CREDENTIAL token");
    }

    @Test
    void shouldRoundTripTalliesAndRefuseNegativeOrTruncatedOnes() {
        EmbeddedChannel ch = new EmbeddedChannel(new FrameDecoder(MAX));
        ch.writeInbound(encode(new Frame.Tally(0), new Frame.Tally(Long.MAX_VALUE)));
        assertThat(readAll(ch)).containsExactly(new Frame.Tally(0), new Frame.Tally(Long.MAX_VALUE));
        byte[] negative = {Protocol.TALLY, -1, -1, -1, -1, -1, -1, -1, -1};
        assertThatThrownBy(() -> WireFormat.read(Unpooled.wrappedBuffer(negative), negative.length))
                .isInstanceOf(ProtocolViolationException.class).hasMessageContaining("negative");
        byte[] truncated = {Protocol.TALLY, 0, 0, 1};
        assertThatThrownBy(() -> WireFormat.read(Unpooled.wrappedBuffer(truncated), truncated.length))
                .isInstanceOf(ProtocolViolationException.class).hasMessageContaining("TALLY");
    }

    @Test
    void shouldDecodeTheSameFramesWhateverTheReadBoundaries() {
        List<Message> sent = new ArrayList<>();
        ByteBuf all = Unpooled.buffer();
        for (int i = 0; i < 50; i++) {
            Message m = Message.of(Headers.of(Headers.FROM, "n" + i), "payload " + i);
            sent.add(m);
            WireFormat.writeData(all, m, MAX);
        }
        byte[] bytes = new byte[all.readableBytes()];
        all.readBytes(bytes);
        for (int chunk : new int[] {1, 2, 3, 7, 64, 1000, bytes.length}) {
            EmbeddedChannel ch = new EmbeddedChannel(new FrameDecoder(MAX));
            for (int at = 0; at < bytes.length; at += chunk) {
                ch.writeInbound(Unpooled.wrappedBuffer(bytes, at, Math.min(chunk, bytes.length - at)));
            }
            List<Object> got = readAll(ch);
            assertThat(got).as("chunk %d", chunk).hasSize(sent.size());
            for (int i = 0; i < sent.size(); i++) {
                assertThat(((Message) got.get(i)).id()).isEqualTo(sent.get(i).id());
                assertThat(((Message) got.get(i)).payloadText()).isEqualTo("payload " + i);
            }
        }
    }

    /** masterless re-copied its whole backlog on every read (quadratic); one byte at a time would never finish. */
    @Test
    @Timeout(60)
    void shouldStayLinearWhenALargeFrameArrivesOneByteAtATime() {
        int size = 4 * 1024 * 1024;
        FrameDecoder decoder = new FrameDecoder(size + 1024);
        EmbeddedChannel ch = new EmbeddedChannel(decoder);
        ByteBuf frame = Unpooled.buffer(size + 64);
        WireFormat.writeData(frame, Message.of(new byte[size]), size + 1024);
        byte[] bytes = new byte[frame.readableBytes()];
        frame.readBytes(bytes);
        ByteBuf one = Unpooled.buffer(1);
        for (byte b : bytes) {
            ch.writeInbound(Unpooled.wrappedBuffer(new byte[] {b}));
        }
        Message m = ch.readInbound();
        assertThat(m.payloadSize()).isEqualTo(size);
        one.release();
    }

    @Test
    void shouldRefuseAnOversizedFrameFromItsLengthAlone() {
        EmbeddedChannel ch = new EmbeddedChannel(new FrameDecoder(MAX));
        ByteBuf header = Unpooled.buffer().writeInt(MAX + 1).writeByte(Protocol.DATA);
        assertThatThrownBy(() -> ch.writeInbound(header)).isInstanceOf(DecoderException.class)
                .hasCauseInstanceOf(FrameTooLargeException.class)
                .hasMessageContaining("larger than the maximum frame size " + MAX);
    }

    @Test
    void shouldRejectMalformedFramesWithTheirCause() {
        assertViolation(Unpooled.buffer().writeInt(0), "empty frame");
        assertViolation(Unpooled.buffer().writeInt(1).writeByte(0x7f), "unknown frame type 0x7f");
        assertViolation(Unpooled.buffer().writeInt(5).writeByte(Protocol.HELLO).writeInt(0x47455420),
                "truncated");
        ByteBuf badMagic = Unpooled.buffer().writeInt(16).writeByte(Protocol.HELLO).writeInt(0x47455420)
                .writeShort(1).writeByte(0).writeLong(1);
        assertViolation(badMagic, "not a Meshbus node");
        ByteBuf shortData = Unpooled.buffer().writeInt(6).writeByte(Protocol.DATA).writeByte(0).writeInt(1);
        assertViolation(shortData, "DATA is truncated");
        ByteBuf trailing = Unpooled.buffer().writeInt(3).writeByte(Protocol.PING).writeShort(0);
        assertViolation(trailing, "trailing bytes");
        ByteBuf badString = Unpooled.buffer().writeInt(5).writeByte(Protocol.BYE).writeShort(7).writeShort(500);
        assertViolation(badString, "BYE text is truncated");
    }

    @Test
    void shouldDiscardTheRestOfTheStreamAfterAViolation() {
        EmbeddedChannel ch = new EmbeddedChannel(new FrameDecoder(MAX));
        ByteBuf bad = Unpooled.buffer().writeInt(1).writeByte(0x7f);
        assertThatThrownBy(() -> ch.writeInbound(bad)).hasCauseInstanceOf(ProtocolViolationException.class);
        ch.writeInbound(encode(Message.of("after")));
        assertThat((Object) ch.readInbound()).isNull();
    }

    private static void assertViolation(ByteBuf in, String text) {
        EmbeddedChannel ch = new EmbeddedChannel(new FrameDecoder(MAX));
        assertThatThrownBy(() -> ch.writeInbound(in)).isInstanceOf(DecoderException.class)
                .hasCauseInstanceOf(ProtocolViolationException.class)
                .cause().hasMessageContaining(text);
    }

    @Test
    void shouldRefuseToEncodeAMessageLargerThanTheLimitAndWriteNothing() {
        ByteBuf out = Unpooled.buffer();
        out.writeBytes("keep".getBytes(StandardCharsets.US_ASCII));
        assertThatThrownBy(() -> WireFormat.writeData(out, Message.of(new byte[2000]), 1024))
                .isInstanceOf(FrameTooLargeException.class);
        assertThat(out.readableBytes()).isEqualTo(4);
    }

    @Test
    void shouldReuseRepeatedHeaderStringsAndStillDecodeEveryValueExactly() {
        StringCache enc = new StringCache();
        ByteBuf all = Unpooled.buffer();
        List<String> values = new ArrayList<>();
        for (int i = 0; i < 500; i++) {
            String v = i % 3 == 0 ? "peer-fixed" : "peer-" + i;
            values.add(v);
            WireFormat.writeData(all, Message.of(Headers.of(Headers.FROM, v), "x"), MAX, enc);
        }
        EmbeddedChannel ch = new EmbeddedChannel(new FrameDecoder(MAX));
        ch.writeInbound(all);
        List<Object> got = readAll(ch);
        assertThat(got).hasSize(500);
        java.util.Set<String> instances = java.util.Collections.newSetFromMap(new java.util.IdentityHashMap<>());
        for (int i = 0; i < 500; i++) {
            String from = ((Message) got.get(i)).header(Headers.FROM);
            assertThat(from).isEqualTo(values.get(i));
            if (i % 3 == 0) {
                instances.add(from);
            }
        }
        // 167 occurrences of the repeated value share a handful of instances (a colliding value may evict it).
        assertThat(instances.size()).isLessThan(40);
    }

    @Test
    void shouldRejectRepeatedHeaderKeys() {
        ByteBuf b = Unpooled.buffer();
        WireFormat.writeData(b, Message.of(Headers.of("k", "v").with("q", "w"), "x"), MAX);
        // Rename the second custom key to the first one's name: same length, so the frame stays well formed.
        int at = io.netty.buffer.ByteBufUtil.indexOf(Unpooled.wrappedBuffer(new byte[] {0, 1, 'q'}), b);
        b.setByte(at + 2, 'k');
        EmbeddedChannel ch = new EmbeddedChannel(new FrameDecoder(MAX));
        assertThatThrownBy(() -> ch.writeInbound(b)).hasCauseInstanceOf(ProtocolViolationException.class)
                .cause().hasMessageContaining("appears twice");
        String[] kv = {"k", "v", "k", "w"};
        assertThatThrownBy(() -> Headers.adopt(kv)).hasMessageContaining("appears twice");
    }

    @Test
    void shouldDecodeNothingOnceToldToDiscardTheRest() {
        FrameDecoder decoder = new FrameDecoder(MAX);
        EmbeddedChannel ch = new EmbeddedChannel(decoder);
        ch.writeInbound(encode(Frame.Ping.INSTANCE));
        decoder.discardRest();
        ch.writeInbound(encode(Message.of("dropped"), new Frame.Keep(true)));
        ch.writeInbound(Unpooled.wrappedBuffer(new byte[] {0, 0, 0, 1, 0x7f}));
        assertThat(readAll(ch)).containsExactly(Frame.Ping.INSTANCE);
        assertThat(ch.finish()).isFalse();
    }

    private static EmbeddedChannel handshaking(boolean dialler) {
        return new EmbeddedChannel(new FrameDecoder(MAX, Protocol.MAX_HANDSHAKE_FRAME, dialler));
    }

    @Test
    void shouldRefuseAFrameLargerThanTheHandshakeAllowsBeforeItCompletes() {
        EmbeddedChannel ch = handshaking(false);
        // The length prefix alone could still be a CREDENTIAL's: the type byte decides.
        ch.writeInbound(Unpooled.wrappedBuffer(new byte[] {0, 0, 0x40, 0}));
        assertThat(readAll(ch)).isEmpty();
        assertThatThrownBy(() -> ch.writeInbound(Unpooled.wrappedBuffer(new byte[] {Protocol.HELLO})))
                .isInstanceOf(DecoderException.class).cause().isInstanceOf(FrameTooLargeException.class)
                .hasMessageContaining("16384 bytes before the handshake completed: at most 8192");
        EmbeddedChannel beyondAnyCredential = handshaking(false);
        assertThatThrownBy(() -> beyondAnyCredential.writeInbound(Unpooled.wrappedBuffer(new byte[] {0, 1, 0, 4})))
                .isInstanceOf(DecoderException.class).cause().isInstanceOf(FrameTooLargeException.class);
    }

    @Test
    void shouldTakeACredentialUpToItsOwnMaximumBeforeTheHandshake() {
        EmbeddedChannel ch = new EmbeddedChannel(new FrameDecoder(2 * MAX, Protocol.MAX_HANDSHAKE_FRAME, false));
        Frame.Credential big = new Frame.Credential(new byte[Protocol.MAX_CREDENTIAL]);
        ch.writeInbound(encode(big, Frame.Ping.INSTANCE));
        List<Object> got = readAll(ch);
        assertThat(got).hasSize(2);
        assertThat(((Frame.Credential) got.get(0)).token()).hasSize(Protocol.MAX_CREDENTIAL);
    }

    @Test
    void shouldTakeFullSizedFramesOnceTheHandshakeIsDone() {
        FrameDecoder decoder = new FrameDecoder(MAX, Protocol.MAX_HANDSHAKE_FRAME, false);
        EmbeddedChannel ch = new EmbeddedChannel(decoder);
        ch.writeInbound(encode(new Frame.Hello(Protocol.VERSION, "a", 1, "", false, "", false)));
        decoder.handshakeDone();
        ch.writeInbound(encode(Message.of(new byte[30_000])));
        assertThat(readAll(ch)).hasSize(2);
    }

    @Test
    void shouldLetADiallerReadDataRightBehindTheAcceptInTheSameRead() {
        EmbeddedChannel ch = handshaking(true);
        ch.writeInbound(encode(new Frame.Credential(new byte[0]), new Frame.Accept("b", 1, "", false),
                Message.of(new byte[30_000])));
        List<Object> got = readAll(ch);
        assertThat(got).hasSize(3);
        assertThat(((Message) got.get(2)).payloadSize()).isEqualTo(30_000);
        EmbeddedChannel acceptor = handshaking(false);
        assertThatThrownBy(() -> acceptor.writeInbound(encode(new Frame.Accept("b", 1, "", false),
                Message.of(new byte[30_000])))).cause().isInstanceOf(FrameTooLargeException.class);
    }
}

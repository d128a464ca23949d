package io.meshbus.node;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.meshbus.error.ErrorCode;
import io.meshbus.error.PeerUnreachableException;
import io.meshbus.message.Message;
import io.meshbus.wire.Frame;
import io.meshbus.wire.Protocol;
import io.meshbus.wire.WireFormat;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import java.io.DataInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.OutputStream;
import java.net.Socket;
import java.net.SocketException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Bad input over real sockets: every case closes only the offending link, with a typed cause that is counted, and the
 * node keeps serving its other links.
 */
class HostileInputTest {
    private Nodes nodes;
    private Node a;
    private Node c;
    private Nodes.Recorder rc;

    @BeforeEach
    void linkTwoHealthyNodes() throws Exception {
        nodes = new Nodes("tcp");
        a = nodes.start(nodes.builder(Nodes.uniqueId("a")).handshakeTimeout(Duration.ofMillis(500))
                .maxFrameSize(64 * 1024));
        c = nodes.start(Nodes.uniqueId("c"));
        rc = Nodes.record(c);
        a.connect(c.info()).get(10, TimeUnit.SECONDS);
    }

    @AfterEach
    void close() {
        nodes.close();
    }

    private Socket raw() throws IOException {
        Socket s = new Socket(a.info().getHost(), a.info().getPort());
        s.setSoTimeout(10_000);
        return s;
    }

    private static byte[] control(Frame f) {
        ByteBuf b = Unpooled.buffer();
        WireFormat.writeControl(b, f);
        byte[] out = new byte[b.readableBytes()];
        b.readBytes(out);
        return out;
    }

    private static Frame.Hello hello(String id, int version) {
        return new Frame.Hello(version, id, 1L, "", false, "", false);
    }

    /** Reads frames until the node closes the socket; returns the last control frame seen (or null). */
    private static Object readUntilClosed(Socket s) throws IOException {
        DataInputStream in = new DataInputStream(s.getInputStream());
        Object last = null;
        try {
            for (;;) {
                int len = in.readInt();
                byte[] body = new byte[len];
                in.readFully(body);
                Object f = WireFormat.read(Unpooled.wrappedBuffer(body), len);
                if (!(f instanceof Frame.Ping)) {
                    last = f;
                }
            }
        } catch (EOFException | SocketException closed) {
            return last;
        }
    }

    private void assertHealthyLinkStillWorks() throws InterruptedException {
        assertThat(a.connections()).contains(c.id());
        assertThat(a.send(c.id(), Message.of("still here"))).isEqualTo(SendStatus.SENT);
        assertThat(rc.nextMessage().message().payloadText()).isEqualTo("still here");
    }

    @Test
    void shouldCloseOnlyTheLinkThatSentAMalformedFrame() throws Exception {
        try (Socket s = raw()) {
            OutputStream out = s.getOutputStream();
            out.write(control(hello("zzz-fake", Protocol.VERSION)));
            out.write(control(new Frame.Credential(new byte[0])));
            out.write(new byte[] {0, 0, 0, 1, 0x7f});
            out.flush();
            Object last = readUntilClosed(s);
            assertThat(last).isInstanceOf(Frame.Bye.class);
            assertThat(((Frame.Bye) last).code()).isEqualTo(ErrorCode.PROTOCOL_VIOLATION);
            assertThat(((Frame.Bye) last).text()).contains("unknown frame type 0x7f");
        }
        assertThat(a.metrics().protocolViolations()).isEqualTo(1);
        assertHealthyLinkStillWorks();
    }

    @Test
    void shouldCloseALinkThatAnnouncesAnOversizedFrame() throws Exception {
        try (Socket s = raw()) {
            OutputStream out = s.getOutputStream();
            out.write(control(hello("zzz-fake", Protocol.VERSION)));
            out.write(control(new Frame.Credential(new byte[0])));
            out.write(new byte[] {0x7f, (byte) 0xff, (byte) 0xff, (byte) 0xff, Protocol.DATA});
            out.flush();
            Object last = readUntilClosed(s);
            assertThat(((Frame.Bye) last).code()).isEqualTo(ErrorCode.FRAME_TOO_LARGE);
        }
        assertThat(a.metrics().framesTooLarge()).isEqualTo(1);
        assertHealthyLinkStillWorks();
    }

    @Test
    void shouldRefuseAFrameLargerThanTheHandshakeAllowsBeforeItCompletes() throws Exception {
        try (Socket s = raw()) {
            OutputStream out = s.getOutputStream();
            // 60 KiB fits this node's frame limit (64 KiB), not a handshake: refused at its first bytes.
            out.write(new byte[] {0, 0, (byte) 0xf0, 0, Protocol.HELLO});
            out.flush();
            Frame.Reject r = (Frame.Reject) readUntilClosed(s);
            assertThat(r.code()).isEqualTo(ErrorCode.FRAME_TOO_LARGE);
            assertThat(r.text()).contains("before the handshake completed");
        }
        assertThat(a.metrics().handshakeFramesTooLarge()).isEqualTo(1);
        assertThat(a.metrics().framesTooLarge()).isEqualTo(1);
        assertHealthyLinkStillWorks();
    }

    @Test
    void shouldTakeALargeCredentialAndLargeFramesOnceLinked() throws Exception {
        Nodes.Recorder ra = Nodes.record(a);
        try (Socket s = raw()) {
            OutputStream out = s.getOutputStream();
            out.write(control(hello("zzz-large", Protocol.VERSION)));
            out.write(control(new Frame.Credential(new byte[20_000])));
            out.flush();
            DataInputStream in = new DataInputStream(s.getInputStream());
            for (Object f = null; !(f instanceof Frame.Accept); ) {
                byte[] body = new byte[in.readInt()];
                in.readFully(body);
                f = WireFormat.read(Unpooled.wrappedBuffer(body), body.length);
            }
            ByteBuf data = Unpooled.buffer();
            WireFormat.writeData(data, Message.of(new byte[40_000]), 64 * 1024);
            byte[] bytes = new byte[data.readableBytes()];
            data.readBytes(bytes);
            out.write(bytes);
            out.flush();
            Nodes.Recorder.Received got = ra.nextMessage();
            assertThat(got.from()).isEqualTo("zzz-large");
            assertThat(got.message().payloadSize()).isEqualTo(40_000);
        }
        assertThat(a.metrics().framesTooLarge()).isZero();
    }

    @Test
    void shouldTimeOutAPeerThatConnectsAndSaysNothing() throws Exception {
        try (Socket s = raw()) {
            await().atMost(Nodes.WAIT).until(() -> a.metrics().snapshot().get("linksOpened") >= 2);
            assertThat(a.connections()).containsExactly(c.id());
            Object last = readUntilClosed(s);
            assertThat(((Frame.Reject) last).code()).isEqualTo(ErrorCode.HANDSHAKE_TIMEOUT);
        }
        assertThat(a.metrics().handshakeTimeouts()).isEqualTo(1);
        assertHealthyLinkStillWorks();
    }

    @Test
    void shouldTimeOutATruncatedHandshake() throws Exception {
        byte[] h = control(hello("zzz-fake", Protocol.VERSION));
        try (Socket s = raw()) {
            s.getOutputStream().write(h, 0, h.length / 2);
            s.getOutputStream().flush();
            Object last = readUntilClosed(s);
            assertThat(((Frame.Reject) last).code()).isEqualTo(ErrorCode.HANDSHAKE_TIMEOUT);
        }
        assertThat(a.metrics().handshakeTimeouts()).isEqualTo(1);
        assertHealthyLinkStillWorks();
    }

    @Test
    void shouldRefuseAStrangerThatSpeaksAnotherProtocol() throws Exception {
        try (Socket s = raw()) {
            s.getOutputStream().write("GET / HTTP/1.1\r\nHost: x\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
            s.getOutputStream().flush();
            readUntilClosed(s);
        }
        assertThat(a.metrics().protocolViolations()).isEqualTo(1);
        assertHealthyLinkStillWorks();
    }

    @Test
    void shouldRateLimitTheWarningsAboutOneAddress() throws Exception {
        int n = 20;
        for (int i = 0; i < n; i++) {
            try (Socket s = raw()) {
                s.getOutputStream().write("GET / HTTP/1.1\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
                s.getOutputStream().flush();
                readUntilClosed(s);
            }
        }
        assertThat(a.metrics().protocolViolations()).isEqualTo(n);
        // Five lines per address in ten seconds; the rest are counted, and the next line says how many.
        assertThat(a.metrics().warningsSuppressed()).isGreaterThanOrEqualTo(n - 10).isLessThanOrEqualTo(n - 5);
        assertThat(a.metrics().snapshot()).containsKey("warningsSuppressed");
        assertHealthyLinkStillWorks();
    }

    @Test
    void shouldRefuseAnIncompatibleProtocolVersionByName() throws Exception {
        try (Socket s = raw()) {
            s.getOutputStream().write(control(hello("zzz-fake", 99)));
            s.getOutputStream().flush();
            Frame.Reject r = (Frame.Reject) readUntilClosed(s);
            assertThat(r.code()).isEqualTo(ErrorCode.INCOMPATIBLE_VERSION);
            assertThat(r.text()).contains("version 99").contains("version " + Protocol.VERSION);
        }
        assertHealthyLinkStillWorks();
    }

    @Test
    void shouldRefuseARemoteIdTheProtocolDoesNotAllow() throws Exception {
        try (Socket s = raw()) {
            s.getOutputStream().write(control(hello("z".repeat(1025), Protocol.VERSION)));
            s.getOutputStream().flush();
            Frame.Reject r = (Frame.Reject) readUntilClosed(s);
            assertThat(r.code()).isEqualTo(ErrorCode.PROTOCOL_VIOLATION);
            assertThat(r.text()).contains("at most 1024 characters");
        }
        ByteBuf bad = Unpooled.buffer();
        bad.writeInt(0).writeByte(Protocol.HELLO).writeInt(Protocol.MAGIC).writeShort(Protocol.VERSION).writeByte(0)
                .writeLong(1).writeShort(2).writeBytes(new byte[] {'z', (byte) 0xff}).writeShort(0).writeShort(0);
        bad.setInt(0, bad.readableBytes() - 4);
        byte[] bytes = new byte[bad.readableBytes()];
        bad.readBytes(bytes);
        try (Socket s = raw()) {
            s.getOutputStream().write(bytes);
            s.getOutputStream().flush();
            Frame.Reject r = (Frame.Reject) readUntilClosed(s);
            assertThat(r.code()).isEqualTo(ErrorCode.PROTOCOL_VIOLATION);
            assertThat(r.text()).isEqualTo("HELLO id is not valid UTF-8");
        }
        assertThat(a.metrics().protocolViolations()).isEqualTo(2);
        assertThat(a.connections()).containsExactly(c.id());
        assertHealthyLinkStillWorks();
    }

    @Test
    void shouldRefuseDataBeforeTheHandshake() throws Exception {
        ByteBuf data = Unpooled.buffer();
        WireFormat.writeData(data, Message.of("sneaky"), 1024);
        byte[] bytes = new byte[data.readableBytes()];
        data.readBytes(bytes);
        try (Socket s = raw()) {
            s.getOutputStream().write(bytes);
            s.getOutputStream().flush();
            Frame.Reject r = (Frame.Reject) readUntilClosed(s);
            assertThat(r.code()).isEqualTo(ErrorCode.PROTOCOL_VIOLATION);
        }
        assertThat(rc.messages).isEmpty();
        assertHealthyLinkStillWorks();
    }

    @Test
    void shouldReadNothingAfterARefusedHelloEvenInTheSameWrite() throws Exception {
        ByteBuf data = Unpooled.buffer();
        WireFormat.writeData(data, Message.of("after the refusal"), 1024);
        byte[] bytes = new byte[data.readableBytes()];
        data.readBytes(bytes);
        ByteBuf both = Unpooled.buffer();
        WireFormat.writeControl(both, hello("zzz-fake", 99));
        WireFormat.writeControl(both, new Frame.Credential(new byte[0]));
        both.writeBytes(bytes);
        byte[] oneWrite = new byte[both.readableBytes()];
        both.readBytes(oneWrite);
        try (Socket s = raw()) {
            s.getOutputStream().write(oneWrite);
            s.getOutputStream().flush();
            Frame.Reject r = (Frame.Reject) readUntilClosed(s);
            assertThat(r.code()).isEqualTo(ErrorCode.INCOMPATIBLE_VERSION);
        }
        assertThat(a.metrics().handshakesRejected()).isEqualTo(1);
        assertThat(a.metrics().protocolViolations()).as("the CREDENTIAL and DATA behind it were never read").isZero();
        assertThat(a.metrics().internalErrors()).isZero();
        assertThat(rc.messages).isEmpty();
        assertHealthyLinkStillWorks();
    }

    @Test
    void shouldDetectAPeerThatFallsSilentAfterTheHandshake() throws Exception {
        Node watcher = nodes.start(nodes.builder(Nodes.uniqueId("a")).heartbeatInterval(Duration.ofMillis(100))
                .idleTimeout(Duration.ofMillis(400)));
        Nodes.Recorder rw = Nodes.record(watcher);
        try (Socket s = new Socket(watcher.info().getHost(), watcher.info().getPort())) {
            s.setSoTimeout(10_000);
            s.getOutputStream().write(control(hello("zzz-silent", Protocol.VERSION)));
            s.getOutputStream().write(control(new Frame.Credential(new byte[0])));
            s.getOutputStream().flush();
            NodeListener.ConnectEvent up = rw.nextConnect();
            assertThat(up.id()).isEqualTo("zzz-silent");
            NodeListener.DisconnectEvent down = rw.nextDisconnect();
            assertThat(down.cause()).isInstanceOf(PeerUnreachableException.class)
                    .hasMessageContaining("nothing heard from node zzz-silent for 400 ms");
        }
        assertThat(watcher.metrics().idleTimeouts()).isEqualTo(1);
    }
}

package io.meshbus.node;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.meshbus.error.AuthenticationFailedException;
import io.meshbus.message.Message;
import io.meshbus.wire.Frame;
import io.meshbus.wire.Protocol;
import io.meshbus.wire.WireFormat;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import java.io.DataInputStream;
import java.io.EOFException;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Links with a network secret: proven by challenge and response, refused typed and counted otherwise. */
class AuthenticationTest {
    private static final byte[] SECRET = "correct horse battery staple".getBytes(StandardCharsets.UTF_8);
    private static final byte[] OTHER = "a different secret, same length".getBytes(StandardCharsets.UTF_8);
    private Nodes nodes;

    @AfterEach
    void close() {
        if (nodes != null) {
            nodes.close();
        }
    }

    private Node start(String scheme, String id, byte[] secret) {
        if (nodes == null) {
            nodes = new Nodes(scheme);
        }
        return nodes.start(nodes.builder(Nodes.uniqueId(id)).secret(secret));
    }

    @ParameterizedTest
    @ValueSource(strings = {"tcp", "mem"})
    void shouldLinkNodesThatShareTheSecretWhicheverDialsAndWhicheverArbitrates(String scheme) throws Exception {
        Node a = start(scheme, "a", SECRET);
        Node b = start(scheme, "b", SECRET);
        Node z = start(scheme, "z", SECRET);
        Nodes.Recorder rb = Nodes.record(b);
        assertThat(a.connect(b.info()).get(10, TimeUnit.SECONDS)).isEqualTo(b.id());
        assertThat(z.connect(b.info()).get(10, TimeUnit.SECONDS)).isEqualTo(b.id());
        a.send(b.id(), Message.of("from a"));
        z.send(b.id(), Message.of("from z"));
        assertThat(java.util.List.of(rb.nextMessage().message().payloadText(), rb.nextMessage().message()
                .payloadText())).containsExactlyInAnyOrder("from a", "from z");
        assertThat(a.metrics().authenticationFailures() + b.metrics().authenticationFailures()
                + z.metrics().authenticationFailures()).isZero();
    }

    @ParameterizedTest
    @ValueSource(strings = {"tcp", "mem"})
    void shouldRefuseAWrongSecretTypedAndCountedOnBothSides(String scheme) {
        Node a = start(scheme, "a", SECRET);
        Node b = start(scheme, "b", OTHER);
        assertThatThrownBy(() -> a.connect(b.info()).get(10, TimeUnit.SECONDS))
                .hasCauseInstanceOf(AuthenticationFailedException.class);
        await().atMost(Nodes.WAIT).until(() -> a.metrics().authenticationFailures()
                + b.metrics().authenticationFailures() >= 1);
        assertThat(a.connections()).isEmpty();
        assertThat(b.connections()).isEmpty();
    }

    @ParameterizedTest
    @ValueSource(strings = {"tcp", "mem"})
    void shouldRefuseANodeWithoutTheSecretEitherWay(String scheme) {
        Node guarded = start(scheme, "g", SECRET);
        Node open = start(scheme, "o", null);
        assertThatThrownBy(() -> open.connect(guarded.info()).get(10, TimeUnit.SECONDS))
                .hasCauseInstanceOf(AuthenticationFailedException.class);
        assertThatThrownBy(() -> guarded.connect(open.info()).get(10, TimeUnit.SECONDS))
                .hasCauseInstanceOf(AuthenticationFailedException.class);
        assertThat(guarded.connections()).isEmpty();
        await().atMost(Nodes.WAIT).until(() -> open.connections().isEmpty());
    }

    @ParameterizedTest
    @ValueSource(strings = {"tcp"})
    void shouldNotAcceptAReplayedProof(String scheme) throws Exception {
        // A stranger replays a proof recorded from some other handshake: the acceptor's fresh nonce defeats it.
        Node guarded = start(scheme, "a", SECRET);
        try (Socket s = new Socket(guarded.info().getHost(), guarded.info().getPort())) {
            s.setSoTimeout(10_000);
            ByteBuf out = Unpooled.buffer();
            WireFormat.writeControl(out, new Frame.Hello(Protocol.VERSION, "zzz-replayer", 1L, "", false, "", false));
            WireFormat.writeControl(out, new Frame.Challenge("zzz-replayer", new byte[16], new byte[0]));
            WireFormat.writeControl(out, new Frame.Proof(new byte[32]));
            byte[] bytes = new byte[out.readableBytes()];
            out.readBytes(bytes);
            s.getOutputStream().write(bytes);
            s.getOutputStream().flush();
            DataInputStream in = new DataInputStream(s.getInputStream());
            Frame.Reject reject = null;
            try {
                for (;;) {
                    int len = in.readInt();
                    byte[] body = new byte[len];
                    in.readFully(body);
                    Object f = WireFormat.read(Unpooled.wrappedBuffer(body), len);
                    if (f instanceof Frame.Reject r) {
                        reject = r;
                    }
                    assertThat(f).isNotInstanceOf(Frame.Accept.class);
                }
            } catch (EOFException | java.net.SocketException closed) {
                // the node closed the link
            }
            assertThat(reject).isNotNull();
            assertThat(reject.code()).isEqualTo(io.meshbus.error.ErrorCode.AUTHENTICATION_FAILED);
        }
        assertThat(guarded.metrics().authenticationFailures()).isEqualTo(1);
        assertThat(guarded.connections()).isEmpty();
    }
}

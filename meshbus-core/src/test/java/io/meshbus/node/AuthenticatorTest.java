package io.meshbus.node;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.meshbus.error.AuthenticationFailedException;
import io.meshbus.error.ErrorCode;
import io.meshbus.message.Message;
import io.meshbus.wire.Frame;
import io.meshbus.wire.Protocol;
import io.meshbus.wire.WireFormat;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.util.concurrent.FastThreadLocalThread;
import java.io.DataInputStream;
import java.io.EOFException;
import java.net.Socket;
import java.net.SocketException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Pluggable authenticators: tokens accepted and named, refusals typed and counted, the refused told nothing. */
class AuthenticatorTest {
    private static final byte[] ALICE = bytes("alice's long random token");
    private static final byte[] BOB = bytes("bob's long random token");
    private static final byte[] MALLORY = bytes("mallory guesses a token");
    private static final byte[] SECRET = bytes("correct horse battery staple");
    private static final Authenticator TOKENS = TokenAuthenticator.of(Map.of("alice", ALICE, "bob", BOB));
    private Nodes nodes;

    private static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    @AfterEach
    void close() {
        if (nodes != null) {
            nodes.close();
        }
    }

    private NodeOptions.Builder builder(String scheme, String id) {
        return nodes(scheme).builder(Nodes.uniqueId(id));
    }

    private Nodes nodes(String scheme) {
        if (nodes == null) {
            nodes = new Nodes(scheme);
        }
        return nodes;
    }

    @ParameterizedTest
    @ValueSource(strings = {"tcp", "mem"})
    void shouldLinkNodesWithAcceptedTokensAndNameThemWhicheverArbitrates(String scheme) throws Exception {
        Node b = nodes(scheme, "b", TOKENS, BOB);
        Node a = nodes(scheme, "a", TOKENS, ALICE);
        Node z = nodes(scheme, "z", TOKENS, ALICE);
        Nodes.Recorder rb = Nodes.record(b);
        assertThat(a.connect(b.info()).get(10, TimeUnit.SECONDS)).isEqualTo(b.id());
        assertThat(z.connect(b.info()).get(10, TimeUnit.SECONDS)).isEqualTo(b.id());
        assertThat(a.identity(b.id())).contains("bob");
        assertThat(z.identity(b.id())).contains("bob");
        await().atMost(Nodes.WAIT).until(() -> b.identity(a.id()).isPresent() && b.identity(z.id()).isPresent());
        assertThat(b.identity(a.id())).contains("alice");
        a.send(b.id(), Message.of("from a"));
        assertThat(rb.nextMessage().message().payloadText()).isEqualTo("from a");
        assertThat(a.metrics().authenticationFailures() + b.metrics().authenticationFailures()
                + z.metrics().authenticationFailures()).isZero();
    }

    private Node nodes(String scheme, String id, Authenticator auth, byte[] token) {
        NodeOptions.Builder b = builder(scheme, id).authenticator(auth).credentials(token);
        return nodes.start(b);
    }

    @ParameterizedTest
    @ValueSource(strings = {"tcp", "mem"})
    void shouldRefuseAWrongTokenTypedOnTheDiallerAndCountedOnTheAcceptor(String scheme) {
        Node guarded = nodes(scheme, "g", TOKENS, BOB);
        Node mallory = nodes.start(builder(scheme, "m").credentials(MALLORY));
        Node nobody = nodes.start(builder(scheme, "n"));
        assertThatThrownBy(() -> mallory.connect(guarded.info()).get(10, TimeUnit.SECONDS))
                .hasCauseInstanceOf(AuthenticationFailedException.class);
        assertThatThrownBy(() -> nobody.connect(guarded.info()).get(10, TimeUnit.SECONDS))
                .hasCauseInstanceOf(AuthenticationFailedException.class);
        await().atMost(Nodes.WAIT).until(() -> guarded.metrics().authenticationFailures() == 2);
        assertThat(guarded.connections()).isEmpty();
        assertThat(mallory.connections()).isEmpty();
        assertThat(nobody.connections()).isEmpty();
    }

    @ParameterizedTest
    @ValueSource(strings = {"tcp", "mem"})
    void shouldLetTheDiallerRefuseTheNodeItDialled(String scheme) {
        Node impostor = nodes(scheme).start(builder(scheme, "i").credentials(MALLORY));
        Node careful = nodes(scheme, "c", TOKENS, ALICE);
        assertThatThrownBy(() -> careful.connect(impostor.info()).get(10, TimeUnit.SECONDS))
                .hasCauseInstanceOf(AuthenticationFailedException.class)
                .cause().hasMessageContaining("not accepted");
        assertThat(careful.metrics().authenticationFailures()).isEqualTo(1);
        await().atMost(Nodes.WAIT).until(() -> impostor.connections().isEmpty());
    }

    @ParameterizedTest
    @ValueSource(strings = {"tcp", "mem"})
    void shouldRequireBothTheSecretAndTheToken(String scheme) throws Exception {
        Node guarded = nodes(scheme).start(builder(scheme, "g").secret(SECRET).authenticator(TOKENS)
                .credentials(BOB));
        Node friend = nodes.start(builder(scheme, "f").secret(SECRET).credentials(ALICE));
        Node insider = nodes.start(builder(scheme, "i").secret(SECRET).credentials(MALLORY));
        Node stranger = nodes.start(builder(scheme, "s").credentials(ALICE));
        assertThat(friend.connect(guarded.info()).get(10, TimeUnit.SECONDS)).isEqualTo(guarded.id());
        assertThatThrownBy(() -> insider.connect(guarded.info()).get(10, TimeUnit.SECONDS))
                .hasCauseInstanceOf(AuthenticationFailedException.class);
        assertThatThrownBy(() -> stranger.connect(guarded.info()).get(10, TimeUnit.SECONDS))
                .hasCauseInstanceOf(AuthenticationFailedException.class);
        await().atMost(Nodes.WAIT).until(() -> guarded.metrics().authenticationFailures() == 2);
        await().atMost(Nodes.WAIT).until(() -> guarded.identity(friend.id()).isPresent());
        assertThat(guarded.identity(friend.id())).contains("alice");
        assertThat(guarded.connections()).containsExactly(friend.id());
    }

    @ParameterizedTest
    @ValueSource(strings = {"tcp", "mem"})
    void shouldRunTheAuthenticatorOffTheIoThreadsAndTreatAFailureAsARefusal(String scheme) {
        List<Thread> threads = new ArrayList<>();
        Authenticator throwing = p -> {
            synchronized (threads) {
                threads.add(Thread.currentThread());
            }
            throw new IllegalStateException("directory down");
        };
        Node guarded = nodes(scheme, "g", throwing, BOB);
        Node a = nodes.start(builder(scheme, "a").credentials(ALICE));
        assertThatThrownBy(() -> a.connect(guarded.info()).get(10, TimeUnit.SECONDS))
                .hasCauseInstanceOf(AuthenticationFailedException.class);
        assertThat(guarded.metrics().authenticationFailures()).isEqualTo(1);
        synchronized (threads) {
            assertThat(threads).hasSize(1);
            assertThat(threads.get(0)).isNotInstanceOf(FastThreadLocalThread.class);
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"tcp", "mem"})
    void shouldKeepWhatArrivesWhileTheDiallerIsStillDeciding(String scheme) throws Exception {
        // The acceptor (smaller id, so it arbitrates) accepts at once and sends; the dialler's authenticator is
        // still busy: what arrived meanwhile must be delivered, in order, once it accepts.
        CountDownLatch decide = new CountDownLatch(1);
        Authenticator slow = p -> {
            try {
                decide.await(10, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            return TOKENS.authenticate(p);
        };
        Node acceptor = nodes(scheme).start(builder(scheme, "a").credentials(BOB));
        Node dialler = nodes.start(builder(scheme, "z").authenticator(slow).credentials(ALICE));
        Nodes.Recorder rd = Nodes.record(dialler);
        CompletableFuture<String> dialled = dialler.connect(acceptor.info());
        await().atMost(Nodes.WAIT).until(() -> acceptor.isConnected(dialler.id()));
        for (int i = 0; i < 3; i++) {
            acceptor.sendAsync(dialler.id(), Message.of("early " + i)).get(10, TimeUnit.SECONDS);
        }
        assertThat(dialled).isNotDone();
        decide.countDown();
        assertThat(dialled.get(10, TimeUnit.SECONDS)).isEqualTo(acceptor.id());
        for (int i = 0; i < 3; i++) {
            assertThat(rd.nextMessage().message().payloadText()).isEqualTo("early " + i);
        }
        assertThat(dialler.identity(acceptor.id())).contains("bob");
    }

    @Test
    void shouldTellARefusedNodeNothingAboutTheNetwork() throws Exception {
        Node guarded = nodes(("tcp"), "g", TOKENS, BOB);
        List<Object> answers = new ArrayList<>();
        try (Socket s = new Socket(guarded.info().getHost(), guarded.info().getPort())) {
            s.setSoTimeout(10_000);
            ByteBuf out = Unpooled.buffer();
            WireFormat.writeControl(out, new Frame.Hello(Protocol.VERSION, "zzz-guesser", 1L, "", true, "", false));
            WireFormat.writeControl(out, new Frame.Credential(MALLORY));
            byte[] b = new byte[out.readableBytes()];
            out.readBytes(b);
            s.getOutputStream().write(b);
            DataInputStream in = new DataInputStream(s.getInputStream());
            try {
                for (;;) {
                    int len = in.readInt();
                    byte[] body = new byte[len];
                    in.readFully(body);
                    answers.add(WireFormat.read(Unpooled.wrappedBuffer(body), len));
                }
            } catch (EOFException | SocketException closed) {
                // the node closed the link
            }
        }
        assertThat(answers).hasSize(1);
        Frame.Reject reject = (Frame.Reject) answers.get(0);
        assertThat(reject.code()).isEqualTo(ErrorCode.AUTHENTICATION_FAILED);
        assertThat(reject.id()).isEmpty();
        assertThat(reject.text()).isEqualTo("authentication failed");
        assertThat(guarded.metrics().authenticationFailures()).isEqualTo(1);
        assertThat(guarded.connections()).isEmpty();
    }

    @Test
    void shouldCompareTokensWithoutAcceptingEmptyOnes() {
        assertThatThrownBy(() -> TokenAuthenticator.anyOf(List.of(new byte[0])))
                .isInstanceOf(IllegalArgumentException.class);
        TokenAuthenticator anyOf = TokenAuthenticator.anyOfStrings(List.of("t1", "t2"));
        Authenticator.Verdict ok = anyOf.authenticate(new Authenticator.Presented("n", bytes("t2"), List.of(), null,
                true));
        assertThat(ok.accepted()).isTrue();
        assertThat(ok.identity()).isEqualTo("n");
        assertThat(anyOf.authenticate(new Authenticator.Presented("n", bytes("t"), List.of(), null, true))
                .accepted()).isFalse();
        assertThat(anyOf.authenticate(new Authenticator.Presented("n", null, List.of(), null, true)).accepted())
                .isFalse();
    }
}

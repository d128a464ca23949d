package io.meshbus.node;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.meshbus.error.BackPressureException;
import io.meshbus.message.Message;
import io.meshbus.wire.Frame;
import io.meshbus.wire.Protocol;
import io.meshbus.wire.WireFormat;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** A connection flood and a slow-loris crowd against a node: it refuses or times them out and keeps serving. */
class FloodTest {
    private Nodes nodes;
    private Node target;
    private Node honest;
    private Nodes.Recorder got;
    private final List<Socket> sockets = new ArrayList<>();

    @BeforeEach
    void start() throws Exception {
        nodes = new Nodes("tcp");
        target = nodes.start(nodes.builder(Nodes.uniqueId("t")).maxConnectionsPerAddress(5).maxConnections(60)
                .handshakeTimeout(Duration.ofMillis(500)));
        honest = nodes.start(Nodes.uniqueId("h"));
        got = Nodes.record(target);
        honest.connect(target.info()).get(10, TimeUnit.SECONDS);
    }

    @AfterEach
    void stop() throws IOException {
        for (Socket s : sockets) {
            s.close();
        }
        nodes.close();
    }

    private Socket from(String local) throws IOException {
        return dial(target, local);
    }

    /** Reads until the node closes the socket; true when it did within the socket's timeout. */
    private static boolean closedByNode(Socket s) {
        try {
            InputStream in = s.getInputStream();
            while (in.read() >= 0) {
                // a REJECT frame, then the end
            }
            return true;
        } catch (IOException e) {
            return e instanceof java.net.SocketException;
        }
    }

    private void honestTrafficFlows(String text) throws InterruptedException {
        assertThat(honest.send(target.id(), Message.of(text))).isEqualTo(SendStatus.SENT);
        assertThat(got.nextMessage().message().payloadText()).isEqualTo(text);
    }

    @Test
    void shouldRefuseAFloodFromOneAddressAndKeepServingOthers() throws Exception {
        for (int i = 0; i < 20; i++) {
            from("127.0.0.2");
        }
        await().atMost(Nodes.WAIT).until(() -> target.metrics().connectionsRefused() >= 15);
        honestTrafficFlows("during the flood");
        int closed = 0;
        for (Socket s : sockets) {
            if (closedByNode(s)) {
                closed++;
            }
        }
        // The refused ones are closed at once; the 5 allowed are closed by the handshake timeout, as they say nothing.
        assertThat(closed).isEqualTo(20);
        assertThat(target.metrics().connectionsRefused()).isEqualTo(15);
        honestTrafficFlows("after the flood");
    }

    @Test
    void shouldLetARefusedConnectionReadWhyEvenWhenItHasSentWhatNobodyRead() throws Exception {
        Node strict = nodes.start(nodes.builder(Nodes.uniqueId("s")).maxConnectionsPerAddress(2)
                .handshakeTimeout(Duration.ofSeconds(30)));
        List<Socket> admitted = new ArrayList<>();
        for (int i = 0; i < 2; i++) {
            admitted.add(dial(strict, "127.0.0.7"));
        }
        await().atMost(Nodes.WAIT).until(() -> strict.metrics().pendingHandshakes() == 2);
        byte[] unread = new byte[64 * 1024];
        for (int i = 0; i < 10; i++) {
            Socket s = dial(strict, "127.0.0.7");
            // Bytes the refusing side never reads: closing on them at once would reset the connection.
            s.getOutputStream().write(unread);
            s.getOutputStream().flush();
            InputStream in = s.getInputStream();
            int got = 0;
            try {
                while (in.read() >= 0) {
                    got++;
                }
            } catch (java.net.SocketException reset) {
                throw new AssertionError("connection " + i + " was reset after " + got + " bytes: " + reset);
            }
            assertThat(got).as("connection %d read the REJECT frame before the end", i).isPositive();
        }
        assertThat(strict.metrics().connectionsRefused()).isEqualTo(10);
        assertThat(admitted).allMatch(Socket::isConnected);
    }

    private Socket dial(Node to, String local) throws IOException {
        Socket s = new Socket();
        sockets.add(s);
        s.bind(new InetSocketAddress(local, 0));
        s.connect(new InetSocketAddress(to.info().getHost(), to.info().getPort()), 5000);
        s.setSoTimeout(10_000);
        return s;
    }

    @Test
    void shouldTimeOutASlowLorisCrowdAndKeepServing() throws Exception {
        ByteBuf hello = Unpooled.buffer();
        WireFormat.writeControl(hello, new Frame.Hello(Protocol.VERSION, "zzz-slow", 1L, "", false, "", false));
        byte[] half = new byte[hello.readableBytes() / 2];
        hello.readBytes(half);
        for (int i = 0; i < 5; i++) {
            Socket s = from("127.0.0.3");
            s.getOutputStream().write(half);
            s.getOutputStream().flush();
        }
        honestTrafficFlows("while they dawdle");
        for (Socket s : sockets) {
            assertThat(closedByNode(s)).isTrue();
        }
        assertThat(target.metrics().handshakeTimeouts()).isEqualTo(5);
        honestTrafficFlows("after them");
    }

    @Test
    void shouldCapConnectionsStillInTheirHandshakeApartFromLiveLinks() throws Exception {
        Node guarded = nodes.start(nodes.builder(Nodes.uniqueId("g")).maxPendingHandshakes(3)
                .handshakeTimeout(Duration.ofSeconds(30)));
        Nodes.Recorder heard = Nodes.record(guarded);
        // Completed handshakes give their place back: more live links than pending places.
        List<Node> friends = new ArrayList<>();
        for (int i = 0; i < 5; i++) {
            Node f = nodes.start(Nodes.uniqueId("f"));
            f.connect(guarded.info()).get(10, TimeUnit.SECONDS);
            friends.add(f);
        }
        // A dialler's handshake completes before the guarded side's does: wait for the guarded side's own count.
        await().atMost(Nodes.WAIT).until(() -> guarded.metrics().pendingHandshakes() == 0);
        List<Socket> silent = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            Socket s = new Socket(guarded.info().getHost(), guarded.info().getPort());
            sockets.add(s);
            silent.add(s);
        }
        await().atMost(Nodes.WAIT).until(() -> guarded.metrics().pendingHandshakes() == 3);

        Node late = nodes.start(Nodes.uniqueId("l"));
        assertThat(late.connect(guarded.info())).failsWithin(Nodes.WAIT).withThrowableThat()
                .withCauseInstanceOf(BackPressureException.class)
                .withMessageContaining("in their handshake");
        assertThat(guarded.metrics().pendingHandshakesRefused()).isEqualTo(1);
        assertThat(guarded.metrics().connectionsRefused()).isEqualTo(1);
        for (Node f : friends) {
            assertThat(f.send(guarded.id(), Message.of("live " + f.id()))).isEqualTo(SendStatus.SENT);
            assertThat(heard.nextMessage().from()).isEqualTo(f.id());
        }

        for (Socket s : silent) {
            s.close();
        }
        await().atMost(Nodes.WAIT).until(() -> guarded.metrics().snapshot().get("linksClosed") >= 4);
        assertThat(late.connect(guarded.info()).get(10, TimeUnit.SECONDS)).isEqualTo(guarded.id());
    }
}

package io.meshbus.compat;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.meshbus.bus.Ports;
import io.meshbus.error.SelfConnectionException;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.Socket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** A Java {@link MasterlessNode} against real masterless@0.4.1 nodes in Node.js processes. */
@Timeout(120)
class MasterlessCompatTest {
    private static final Duration T = Duration.ofSeconds(20);
    private final List<NodeProcess> processes = new ArrayList<>();
    private final List<MasterlessNode> javaNodes = new ArrayList<>();

    @AfterEach
    void stop() throws Exception {
        for (NodeProcess p : processes) {
            p.close();
        }
        for (MasterlessNode n : javaNodes) {
            n.close().get(10, TimeUnit.SECONDS);
        }
    }

    private NodeProcess nodeNode(String id) throws Exception {
        NodeProcess p = NodeProcess.start("masterless-node.js", id);
        processes.add(p);
        return p;
    }

    private MasterlessNode javaNode(String id, LinkedBlockingQueue<String> inbox) throws Exception {
        MasterlessNode n = MasterlessNode.create(id, "masterless+tcp://127.0.0.1:0");
        n.addListener(new MasterlessListener() {
            @Override
            public void onMessage(String from, ObjectNode packet) {
                inbox.add(from + ":" + packet);
                if (packet.has("echo")) {
                    n.send(from, Map.of("echoed", packet.get("echo").asText()));
                }
            }
        });
        javaNodes.add(n);
        return n.start().get(10, TimeUnit.SECONDS);
    }

    private static String info(NodeProcess p) throws InterruptedException {
        return p.await("listening", T).get("info").asText();
    }

    @Test
    void shouldExchangeMessagesBothWaysWhenJavaDials() throws Exception {
        NodeProcess node = nodeNode("node-echo");
        String nodeInfo = info(node);
        LinkedBlockingQueue<String> inbox = new LinkedBlockingQueue<>();
        MasterlessNode java = javaNode("java-1", inbox);

        assertThat(java.connect("masterless+" + nodeInfo).get(20, TimeUnit.SECONDS)).isEqualTo("node-echo");
        assertThat(java.send("node-echo", Map.of("echo", "ping"))).isTrue();
        JsonNode m = node.await("message", T);
        assertThat(m.get("from").asText()).isEqualTo("java-1");
        assertThat(m.get("packet").get("echo").asText()).isEqualTo("ping");
        assertThat(inbox.poll(20, TimeUnit.SECONDS)).isEqualTo("node-echo:{\"echoed\":\"ping\"}");

        node.send("{\"cmd\":\"send\",\"to\":\"java-1\",\"packet\":{\"echo\":\"pong\"}}");
        JsonNode back = node.await(e -> e.path("packet").has("echoed"), T);
        assertThat(back.get("packet").get("echoed").asText()).isEqualTo("pong");
        assertThat(java.connections()).containsExactly("node-echo");
    }

    @Test
    void shouldAcceptANodeDialAndKeepTheLinkAliveWithHeartbeats() throws Exception {
        NodeProcess node = nodeNode("node-a");
        info(node);
        LinkedBlockingQueue<String> inbox = new LinkedBlockingQueue<>();
        MasterlessNode java = javaNode("java-b", inbox);
        java.keep("node-a", true);
        node.send("{\"cmd\":\"keep\",\"id\":\"java-b\",\"keep\":true}");
        node.send("{\"cmd\":\"connect\",\"info\":\"" + java.nodeInfo() + "\",\"ref\":1}");
        JsonNode c = node.await("connected", T);
        assertThat(c.get("error").isNull()).as(c.toString()).isTrue();
        assertThat(c.get("id").asText()).isEqualTo("java-b");
        node.send("{\"cmd\":\"send\",\"to\":\"java-b\",\"packet\":{\"n\":1}}");
        assertThat(inbox.poll(20, TimeUnit.SECONDS)).isEqualTo("node-a:{\"n\":1}");
        java.send("node-a", Map.of("n", 2));
        assertThat(node.await("message", T).get("packet").get("n").asInt()).isEqualTo(2);
    }

    /** Both sides dial at the same moment, several rounds: always one link, and it carries messages both ways. */
    @Test
    void shouldEndWithOneLinkWhenJavaAndNodeDialEachOtherAtOnce() throws Exception {
        for (int round = 0; round < 5; round++) {
            NodeProcess node = nodeNode("node-x" + round);
            String nodeInfo = info(node);
            LinkedBlockingQueue<String> inbox = new LinkedBlockingQueue<>();
            MasterlessNode java = javaNode("java-x" + round, inbox);
            java.keep("node-x" + round, true);
            node.send("{\"cmd\":\"keep\",\"id\":\"java-x" + round + "\",\"keep\":true}");
            node.send("{\"cmd\":\"connect\",\"info\":\"" + java.nodeInfo() + "\",\"ref\":1}");
            String id = java.connect(nodeInfo).get(20, TimeUnit.SECONDS);
            assertThat(id).isEqualTo("node-x" + round);
            node.await("connected", T);
            int r = round;
            await().atMost(T).untilAsserted(() -> {
                node.send("{\"cmd\":\"connections\",\"ref\":" + r + "}");
                assertThat(node.await("connections", T).get("ids").toString()).isEqualTo("[\"java-x" + r + "\"]");
                assertThat(java.states()).containsExactly(Map.entry("node-x" + r, linkState(java, "node-x" + r)));
                assertThat(java.connections()).containsExactly("node-x" + r);
            });
            java.send("node-x" + round, Map.of("echo", "r" + round));
            assertThat(inbox.poll(20, TimeUnit.SECONDS)).isEqualTo("node-x" + round + ":{\"echoed\":\"r" + round
                    + "\"}");
            node.send("{\"cmd\":\"send\",\"to\":\"java-x" + round + "\",\"packet\":{\"echo\":\"n" + round + "\"}}");
            assertThat(node.await(e -> e.path("packet").has("echoed"), T).get("packet").get("echoed").asText())
                    .isEqualTo("n" + round);
            assertThat(java.connections()).hasSize(1);
        }
    }

    /** masterless's own "3+3 simultaneous connections" case, across the two implementations. */
    @Test
    void shouldDeduplicateThreeDialsFromEachSide() throws Exception {
        NodeProcess node = nodeNode("node-3");
        String nodeInfo = info(node);
        LinkedBlockingQueue<String> inbox = new LinkedBlockingQueue<>();
        MasterlessNode java = javaNode("java-3", inbox);
        java.keep("node-3", true);
        node.send("{\"cmd\":\"keep\",\"id\":\"java-3\",\"keep\":true}");
        List<java.util.concurrent.CompletableFuture<String>> dials = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            node.send("{\"cmd\":\"connect\",\"info\":\"" + java.nodeInfo() + "\",\"ref\":" + i + "}");
            dials.add(java.connect(nodeInfo));
        }
        for (var d : dials) {
            assertThat(d.get(20, TimeUnit.SECONDS)).isEqualTo("node-3");
        }
        for (int i = 0; i < 3; i++) {
            node.await("connected", T);
        }
        await().atMost(T).untilAsserted(() -> {
            node.send("{\"cmd\":\"connections\",\"ref\":0}");
            assertThat(node.await("connections", T).get("ids").toString()).isEqualTo("[\"java-3\"]");
            assertThat(java.states()).hasSize(1);
            linkState(java, "node-3");
        });
        java.send("node-3", Map.of("echo", "once"));
        assertThat(inbox.poll(20, TimeUnit.SECONDS)).isEqualTo("node-3:{\"echoed\":\"once\"}");
        node.send("{\"cmd\":\"send\",\"to\":\"java-3\",\"packet\":{\"n\":1}}");
        assertThat(inbox.poll(20, TimeUnit.SECONDS)).isEqualTo("node-3:{\"n\":1}");
    }

    @Test
    void shouldDiscardALinkNeitherSideKeeps() throws Exception {
        NodeProcess node = nodeNode("node-k");
        String nodeInfo = info(node);
        LinkedBlockingQueue<String> gone = new LinkedBlockingQueue<>();
        MasterlessNode java = javaNode("java-k", new LinkedBlockingQueue<>());
        java.addListener(new MasterlessListener() {
            @Override
            public void onDisconnect(String id) {
                gone.add(id);
            }
        });
        assertThat(java.connect(nodeInfo, false).get(20, TimeUnit.SECONDS)).isEqualTo("node-k");
        assertThat(gone.poll(20, TimeUnit.SECONDS)).isEqualTo("node-k");
        assertThat(node.await("disconnect", T).get("id").asText()).isEqualTo("java-k");
        assertThat(java.connections()).isEmpty();
        assertThat(java.send("node-k", Map.of("a", 1))).isFalse();
    }

    private static String linkState(MasterlessNode n, String id) {
        String s = n.states().get(id);
        // exactly one direction connected, the other idle, and the link up
        assertThat(s).isIn("2/0+", "0/2+");
        return s;
    }

    @Test
    void shouldCloseOnlyTheLinkThatSentGarbageAndRefuseSelfConnections() throws Exception {
        NodeProcess node = nodeNode("node-g");
        String nodeInfo = info(node);
        LinkedBlockingQueue<String> inbox = new LinkedBlockingQueue<>();
        MasterlessNode java = javaNode("java-g", inbox);
        java.connect(nodeInfo).get(20, TimeUnit.SECONDS);
        URI u = URI.create(java.nodeInfo());
        try (Socket bad = new Socket(InetAddress.getLoopbackAddress(), u.getPort())) {
            bad.getOutputStream().write("{not json\r\n".getBytes(StandardCharsets.UTF_8));
            bad.setSoTimeout(10_000);
            assertThat(bad.getInputStream().read()).isEqualTo(-1);
        }
        try (Socket huge = new Socket(InetAddress.getLoopbackAddress(), u.getPort())) {
            OutputStream o = huge.getOutputStream();
            huge.setSoTimeout(10_000);
            byte[] chunk = new byte[64 * 1024];
            Arrays.fill(chunk, (byte) 'x');
            try {
                for (int i = 0; i < 20; i++) {
                    o.write(chunk);
                }
            } catch (IOException closedOnUs) {
                // expected: the node closes a link whose line passes the limit
            }
            assertThat(huge.getInputStream().read()).isEqualTo(-1);
        }
        assertThat(java.protocolErrors()).isEqualTo(2);
        java.send("node-g", Map.of("echo", "still"));
        assertThat(inbox.poll(20, TimeUnit.SECONDS)).isEqualTo("node-g:{\"echoed\":\"still\"}");
        assertThat(java.connect(java.info().toString()).handle((v, e) -> e).get(10, TimeUnit.SECONDS))
                .isInstanceOf(SelfConnectionException.class);
    }

    @Test
    void shouldSpeakTheHandshakeByteForByteAndSendHeartbeats() throws Exception {
        MasterlessNode java = javaNode("java-h", new LinkedBlockingQueue<>());
        URI u = URI.create(java.nodeInfo());
        try (Socket s = new Socket(InetAddress.getLoopbackAddress(), u.getPort())) {
            s.setSoTimeout(10_000);
            OutputStream o = s.getOutputStream();
            BufferedReader r = new BufferedReader(new InputStreamReader(s.getInputStream(), StandardCharsets.UTF_8));
            o.write(("{\"id\":\"raw\",\"info\":\"tcp://127.0.0.1:" + Ports.unused() + "\"}\r\n")
                    .getBytes(StandardCharsets.UTF_8));
            assertThat(r.readLine()).isEqualTo("{\"id\":\"java-h\"}");
            o.write("{\"priority\":1}\r\n".getBytes(StandardCharsets.UTF_8));
            assertThat(r.readLine()).isEqualTo("{\"confirm\":true}");
            assertThat(r.readLine()).isEqualTo("[false]");
            o.write("[true]\r\n".getBytes(StandardCharsets.UTF_8));
            assertThat(r.readLine()).isEqualTo("true");
        }
    }
}

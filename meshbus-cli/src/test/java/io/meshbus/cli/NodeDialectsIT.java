package io.meshbus.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.meshbus.message.Headers;
import io.meshbus.message.Message;
import io.meshbus.route.Client;
import io.meshbus.route.Distro;
import io.meshbus.route.Info;
import io.meshbus.route.Server;
import java.net.URI;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * {@code meshbus host --listen masterless+tcp://... --listen distro+tcp://... --echo echo} from the shaded jar: a
 * real masterless 0.4.1 node and a distro client (the wire of distro 0.4.0) each get their payload back from echo.
 */
class NodeDialectsIT {
    private static final Duration T = Duration.ofSeconds(30);
    private final MeshbusProcesses jar = new MeshbusProcesses();
    private NodeScript node;

    @AfterEach
    void stop() {
        if (node != null) {
            node.close();
        }
        jar.close();
    }

    private Map<String, String> host() throws Exception {
        Process p = jar.start("host", "--id", "mb-dialects", "--listen",
                "masterless+tcp://127.0.0.1:0,distro+tcp://127.0.0.1:0", "--echo", "echo");
        BlockingQueue<String> out = MeshbusProcesses.lines(p);
        Map<String, String> at = new LinkedHashMap<>();
        at.put("masterless", MeshbusProcesses.await(out, "masterless node mb-dialects at ")
                .substring("masterless node mb-dialects at ".length()));
        at.put("distro", MeshbusProcesses.await(out, "distro server at ").substring("distro server at ".length()));
        MeshbusProcesses.await(out, "echo peer echo ready");
        return at;
    }

    @Test
    void shouldEchoAMasterlessNodesPacketsBack() throws Exception {
        String url = host().get("masterless");
        node = NodeScript.start("masterless-peer.js", "node-one");
        node.await("listening", T);
        node.send(Map.of("cmd", "connect", "info", url.substring("masterless+".length()), "ref", 1));
        JsonNode connected = node.await("connected", T);
        assertThat(connected.path("error").isNull()).as(connected.toString()).isTrue();
        assertThat(connected.get("id").asText()).isEqualTo("mb-dialects");
        // Known race, not fixed here: a packet a masterless node sends the moment its connect callback runs can
        // arrive before this side has finished its half of the handshake, and is dropped. Until the first echo
        // comes back, the first packet is sent again (bounded); every payload after it must come back at once.
        Map<String, Object> first = new LinkedHashMap<>();
        first.put("to", "echo");
        first.put("payload", "ready?");
        JsonNode ready = null;
        for (int i = 0; i < 30 && ready == null; i++) {
            node.send(Map.of("cmd", "send", "to", "mb-dialects", "packet", first));
            try {
                ready = node.await(e -> "message".equals(e.path("event").asText()), Duration.ofSeconds(1));
            } catch (AssertionError notYet) {
                // not echoed: send again
            }
        }
        assertThat(ready).as("an echo within 30 tries").isNotNull();
        for (String payload : new String[] {"{\"a\":[1,true,null]}", "[1,2]", "7", "\"text\"", "false", "null"}) {
            JsonNode value = Payloads.JSON.readTree(payload);
            Map<String, Object> packet = new LinkedHashMap<>();
            packet.put("to", "echo");
            packet.put("payload", value);
            node.send(Map.of("cmd", "send", "to", "mb-dialects", "packet", packet));
            // Late echoes of the first packet's tries may still come: wait for this payload's own.
            JsonNode back = node.await(e -> "message".equals(e.path("event").asText())
                    && value.equals(e.path("packet").path("payload")), T);
            assertThat(back.get("from").asText()).isEqualTo("mb-dialects");
            assertThat(back.get("packet").get("from").asText()).isEqualTo("echo");
            assertThat(back.get("packet").get("payload")).as(payload).isEqualTo(value);
        }
        Map<String, Object> lost = Map.of("to", "nobody", "payload", 1);
        node.send(Map.of("cmd", "send", "to", "mb-dialects", "packet", lost));
        JsonNode error = node.await(e -> "message".equals(e.path("event").asText())
                && e.path("packet").has("error"), T);
        assertThat(error.get("packet").get("error").asText()).isEqualTo("Peer not found (id: nobody)");
    }

    @Test
    void shouldSendADistroClientsMessageToEchoAndTheAnswerToItsServer() throws Exception {
        URI at = URI.create(host().get("distro"));
        BlockingQueue<Message> got = new LinkedBlockingQueue<>();
        Server mine = Distro.create("distro+tcp").server(new Info("127.0.0.1", 0));
        mine.receive(ctx -> {
            if (!"RECEIVED".equals(ctx.message().header(Headers.URI))) {
                got.add(ctx.message());
            }
            return null;
        });
        mine.start().get(10, TimeUnit.SECONDS);
        Client client = Distro.create("distro+tcp").client(new Info(at.getHost(), at.getPort()));
        try {
            Message m = Message.of(Headers.builder().put(Headers.URI, "/echo/orders").put(Headers.VERB, "post")
                    .put("address", "127.0.0.1").put("port", Integer.toString(mine.info().port())).build(),
                    Map.of("sku", "a1"));
            client.send(m).get(10, TimeUnit.SECONDS);
            Message answer = got.poll(30, TimeUnit.SECONDS);
            assertThat(answer).as("echo's answer at the sender's server").isNotNull();
            assertThat(answer.header(Headers.URI)).isEqualTo("/echo/orders");
            assertThat(answer.header(Headers.FROM)).isEqualTo("echo");
            assertThat(Payloads.value(answer).get("sku").asText()).isEqualTo("a1");
        } finally {
            client.close();
            mine.close();
        }
    }
}

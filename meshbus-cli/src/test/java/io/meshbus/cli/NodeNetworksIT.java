package io.meshbus.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * {@code meshbus host} from the shaded jar between networks of the real distribus 0.4.0 package in Node processes:
 * a Node host joins the Meshbus host's distribus url and its peers reach the {@code echo} peer by id; a Meshbus host
 * joined to a Node host from the command line carries a Node client's messages to that host's peer.
 */
class NodeNetworksIT {
    private static final Duration T = Duration.ofSeconds(30);
    private final MeshbusProcesses jar = new MeshbusProcesses();
    private final List<NodeScript> nodes = new java.util.ArrayList<>();
    private final AtomicInteger refs = new AtomicInteger();

    @AfterEach
    void stop() {
        nodes.forEach(NodeScript::close);
        jar.close();
    }

    private NodeScript node() throws Exception {
        NodeScript n = NodeScript.start("distribus-peer.js");
        nodes.add(n);
        return n;
    }

    /** Sends a command and waits for its answer (the event with the same ref). */
    private JsonNode call(NodeScript n, String event, Map<String, Object> command) throws Exception {
        int ref = refs.incrementAndGet();
        Map<String, Object> c = new LinkedHashMap<>(command);
        c.put("ref", ref);
        n.send(c);
        return n.await(e -> event.equals(e.path("event").asText()) && e.path("ref").asInt() == ref, T);
    }

    /** Starts a host with the arguments; returns the distribus url (ws://) its gateway announced. */
    private String host(String... args) throws Exception {
        Process p = jar.start(args);
        BlockingQueue<String> out = MeshbusProcesses.lines(p);
        String line = MeshbusProcesses.await(out, "distribus gateway at distribus+");
        MeshbusProcesses.await(out, "echo peer ");
        return line.substring("distribus gateway at distribus+".length());
    }

    private static JsonNode json(String s) throws Exception {
        return Payloads.JSON.readTree(s);
    }

    /** Sends from the Node peer to echo and returns what came back to it. */
    private JsonNode echo(NodeScript n, String from, Object message, boolean buffer) throws Exception {
        Map<String, Object> c = new LinkedHashMap<>();
        c.put("cmd", "send");
        c.put("from", from);
        c.put("to", "echo");
        c.put("message", message);
        c.put("buffer", buffer);
        assertThat(call(n, "sent", c).path("error").isNull()).isTrue();
        return n.await(e -> "message".equals(e.path("event").asText()) && from.equals(e.path("to").asText())
                && "echo".equals(e.path("from").asText()), T);
    }

    @Test
    void shouldLetANodeDistribusHostFindEchoAndGetEveryJsonKindBack() throws Exception {
        String url = host("host", "--id", "mb-host", "--listen", "tcp://127.0.0.1:0,distribus+ws://127.0.0.1:0",
                "--echo", "echo");
        NodeScript n = node();
        n.await("listening", T);
        assertThat(call(n, "joined", Map.of("cmd", "join", "url", url)).path("error").isNull()).isTrue();
        assertThat(call(n, "found", Map.of("cmd", "find", "id", "echo")).path("url").asText()).isEqualTo(url);
        Map<String, JsonNode> kinds = new LinkedHashMap<>();
        kinds.put("object", json("{\"a\":1,\"b\":{\"c\":[true,null,\"x\"]}}"));
        kinds.put("array", json("[1,\"two\",null,{\"three\":3}]"));
        kinds.put("integer", json("42"));
        kinds.put("decimal", json("-3.5"));
        kinds.put("string", json("\"hello, echo\""));
        kinds.put("true", json("true"));
        kinds.put("false", json("false"));
        kinds.put("null", json("null"));
        for (Map.Entry<String, JsonNode> k : kinds.entrySet()) {
            JsonNode back = echo(n, "node-peer", k.getValue(), false);
            assertThat(back.get("message")).as(k.getKey() + " came back as " + back).isEqualTo(k.getValue());
        }
    }

    @Test
    void shouldEchoAnEmptyStringAndABufferAsNodeWouldEchoThem() throws Exception {
        String url = host("host", "--listen", "distribus+ws://127.0.0.1:0", "--echo", "echo");
        NodeScript n = node();
        n.await("listening", T);
        assertThat(call(n, "joined", Map.of("cmd", "join", "url", url)).path("error").isNull()).isTrue();
        JsonNode empty = echo(n, "node-peer", "", false);
        assertThat(empty.get("message")).as(empty.toString()).isEqualTo(json("\"\""));
        // distribus carries JSON: a Buffer sent from Node arrives, from a Node peer's echo as from this one, as
        // Node's JSON of it, never as a Buffer again (README, "Payloads between Node and Java").
        JsonNode buffer = echo(n, "node-peer", "bytes", true);
        assertThat(buffer.get("message")).as(buffer.toString())
                .isEqualTo(json("{\"type\":\"Buffer\",\"data\":[98,121,116,101,115]}"));
    }

    @Test
    void shouldCarryANodeClientToANodeHostsPeerThroughAMeshbusHostJoinedToIt() throws Exception {
        NodeScript server = node();
        String serverUrl = server.await("listening", T).get("url").asText();
        call(server, "created", Map.of("cmd", "create", "id", "bob", "echo", true));
        String url = host("host", "--id", "mb-bridge", "--listen", "distribus+ws://127.0.0.1:0", "--join",
                "distribus+" + serverUrl, "--echo", "echo");
        NodeScript client = node();
        client.await("listening", T);
        assertThat(call(client, "joined", Map.of("cmd", "join", "url", url)).path("error").isNull()).isTrue();
        Map<String, Object> send = new LinkedHashMap<>();
        send.put("cmd", "send");
        send.put("from", "carol");
        send.put("to", "bob");
        send.put("message", Map.of("hello", "bob"));
        assertThat(call(client, "sent", send).path("error").isNull()).isTrue();
        JsonNode back = client.await(e -> "message".equals(e.path("event").asText())
                && "carol".equals(e.path("to").asText()) && "bob".equals(e.path("from").asText()), T);
        assertThat(back.get("message").get("hello").asText()).isEqualTo("bob");
        // The Meshbus host's own peer is reachable from the Node host it joined too.
        Map<String, Object> toEcho = new LinkedHashMap<>(send);
        toEcho.put("from", "bob");
        toEcho.put("to", "echo");
        assertThat(call(server, "sent", toEcho).path("error").isNull()).isTrue();
    }
}

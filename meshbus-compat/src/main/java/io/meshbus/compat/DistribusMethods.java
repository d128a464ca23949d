package io.meshbus.compat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.MissingNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.meshbus.bus.Peer;
import io.meshbus.error.PeerNotFoundException;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;

/**
 * The answers to Node hosts' requests: one method here per method of distribus's {@code Host._onRequest}
 * (greeting, join, goodbye, hosts, find, send, publish, ping), each answering as distribus does.
 *
 * <p>Invariant: error texts are distribus's to the letter ({@code Network id mismatch (a !== b)},
 * {@code Error: Peer not found (id: x)} with the prefix distribus's rejection by an Error's string puts on the wire,
 * {@code Unknown method "m"}), since Node hosts compare them as strings.
 *
 * <p>Threads: requests run one at a time on the gateway's own thread, never on a Netty event loop, since they call
 * the host's API.
 */
final class DistribusMethods {
    /** One distribus method; {@code params} is {@link MissingNode} when the request had none. */
    @FunctionalInterface
    private interface Method {
        CompletableFuture<Reply> answer(DistribusConnection c, JsonNode params);
    }

    /** A response's {@code message}: absent ({@code present} false) is not the same as null for distribus. */
    private record Reply(JsonNode value, boolean present) {
        static final Reply NONE = new Reply(null, false);

        static CompletableFuture<Reply> of(JsonNode value) {
            return CompletableFuture.completedFuture(new Reply(value, true));
        }
    }

    private final DistribusLinks links;
    private final ProxyPeers proxies;
    private final PublishBridge bridge;
    private final Duration requestTimeout;
    private final ExecutorService work;
    private final Map<String, Method> methods = Map.of(
            "greeting", this::greeting,
            "join", this::join,
            "goodbye", this::goodbye,
            "hosts", this::hosts,
            "find", this::find,
            "send", this::send,
            "publish", this::publish,
            "ping", this::ping);

    DistribusMethods(String hostId, DistribusLinks links, ProxyPeers proxies, PublishBridge bridge,
                     Duration requestTimeout) {
        this.links = links;
        this.proxies = proxies;
        this.bridge = bridge;
        this.requestTimeout = requestTimeout;
        this.work = Executors.newSingleThreadExecutor(r -> {
            Thread t = new Thread(r, "distribus-gateway-" + hostId);
            t.setDaemon(true);
            return t;
        });
    }

    /** A request ({@code id} set) or a notification; answered from the gateway's thread. */
    void onRequest(DistribusConnection c, JsonNode id, JsonNode message) {
        if (work.isShutdown()) {
            return;
        }
        try {
            work.execute(() -> handle(c, id, message));
        } catch (RejectedExecutionException closing) {
            // closed meanwhile; the other host gets no answer, as from a host that went away
        }
    }

    void close() {
        work.shutdown();
    }

    private void handle(DistribusConnection c, JsonNode id, JsonNode message) {
        CompletableFuture<Reply> r;
        String method = message == null ? null : message.path("method").asText(null);
        try {
            Method m = method == null ? null : methods.get(method);
            r = m == null ? error("Unknown method \"" + (method == null ? "undefined" : method) + "\"")
                    : m.answer(c, message.path("params"));
        } catch (RuntimeException e) {
            r = CompletableFuture.failedFuture(e);
        }
        if (id == null) {
            return;
        }
        r.whenComplete((ok, e) -> {
            if (e != null) {
                Throwable cause = e instanceof CompletionException ? e.getCause() : e;
                c.respond(id, null, true, cause.getMessage() == null ? cause.toString() : cause.getMessage());
            } else {
                c.respond(id, ok.value(), ok.present(), null);
            }
        });
    }

    /** An error whose text is exactly what distribus writes (no exception class prefix). */
    private static CompletableFuture<Reply> error(String text) {
        return CompletableFuture.failedFuture(new DistribusRemoteException(text));
    }

    /** Checks the network id; a new host's link is announced to the others before the answer, as distribus does. */
    private CompletableFuture<Reply> greeting(DistribusConnection c, JsonNode p) {
        String u = p.path("url").isTextual() ? p.get("url").asText() : null;
        JsonNode n = p.get("networkId");
        String theirs = n == null || n.isNull() || n.asText().isEmpty() ? null : n.asText();
        String ours = links.networkId();
        if (theirs != null && !theirs.equals(ours)) {
            return error("Network id mismatch (" + theirs + " !== " + (ours == null ? "undefined" : ours) + ")");
        }
        ObjectNode answer = DistroJson.MAPPER.createObjectNode();
        if (ours != null) {
            answer.put("networkId", ours);
        }
        if (u != null && links.greeted(c, u)) {
            return links.broadcastJoin(u).thenCompose(v -> Reply.of(answer));
        }
        return Reply.of(answer);
    }

    private CompletableFuture<Reply> join(DistribusConnection c, JsonNode p) {
        String u = p.path("url").asText(null);
        if (u == null) {
            return CompletableFuture.completedFuture(Reply.NONE);
        }
        return links.join(u).thenApply(v -> Reply.NONE);
    }

    /** The other host leaves: its peers are forgotten at once. */
    private CompletableFuture<Reply> goodbye(DistribusConnection c, JsonNode p) {
        String u = c.url;
        if (u != null) {
            proxies.forgetPeers(u);
            links.leftBy(c);
        }
        return Reply.of(DistroJson.MAPPER.getNodeFactory().textNode("goodbye"));
    }

    /** Joins the hosts named, and answers with the hosts this one is linked to. */
    private CompletableFuture<Reply> hosts(DistribusConnection c, JsonNode p) {
        if (p.path("urls").isArray()) {
            p.get("urls").forEach(u -> links.join(u.asText()).exceptionally(e -> null));
        }
        ArrayNode a = DistroJson.MAPPER.createArrayNode();
        links.urls().forEach(a::add);
        return Reply.of(a);
    }

    private CompletableFuture<Reply> find(DistribusConnection c, JsonNode p) {
        String pid = p.path("id").asText(null);
        String url = links.url();
        return Reply.of(proxies.isLocal(pid) && url != null ? DistroJson.MAPPER.getNodeFactory().textNode(url)
                : DistroJson.MAPPER.nullNode());
    }

    /** Delivers to a Java peer, from the Node sender's proxy (or the gateway's peer when a Java peer has its id). */
    private CompletableFuture<Reply> send(DistribusConnection c, JsonNode p) {
        String from = p.path("from").asText(null);
        String to = p.path("to").asText(null);
        if (!proxies.isLocal(to)) {
            return error("Error: Peer not found (id: " + to + ")");
        }
        Peer sender = from == null ? null : proxies.proxy(from, c.url);
        if (sender == null) {
            sender = bridge.peer();
        }
        return sender.send(to, DistroJson.toPayload(p.get("message")), requestTimeout).handle((v, e) -> {
            if (e != null) {
                Throwable cause = e instanceof CompletionException ? e.getCause() : e;
                if (cause instanceof PeerNotFoundException) {
                    throw new DistribusRemoteException("Error: Peer not found (id: " + to + ")");
                }
                throw new DistribusRemoteException(cause.getMessage());
            }
            return new Reply(DistroJson.MAPPER.nullNode(), true);
        });
    }

    private CompletableFuture<Reply> publish(DistribusConnection c, JsonNode p) {
        bridge.onNodePublish(p);
        return Reply.of(DistroJson.MAPPER.createObjectNode().putNull("result").putNull("error"));
    }

    /** Echoes the params as {@code result} (left out when the request had none). */
    private CompletableFuture<Reply> ping(DistribusConnection c, JsonNode p) {
        ObjectNode o = DistroJson.MAPPER.createObjectNode();
        if (!p.isMissingNode()) {
            o.set("result", p);
        }
        o.putNull("error");
        return Reply.of(o);
    }
}

package io.meshbus.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.meshbus.bus.Host;
import io.meshbus.bus.Peer;
import io.meshbus.compat.MasterlessListener;
import io.meshbus.compat.MasterlessNode;
import io.meshbus.message.Headers;
import io.meshbus.message.Message;
import java.net.URI;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Puts a host's peers on a masterless 0.4.1 mesh. The host runs a {@link MasterlessNode} named after itself; every
 * masterless node linked to it appears on the host as a peer with the node's id, so any Java peer of the network
 * sends to it by id. masterless has only node-to-node packets (JSON objects), so peers are named in an envelope:
 * <ul>
 *   <li>a node sends {@code {"to": "echo", "payload": ANY}}: the payload reaches peer {@code echo} from the node's
 *   peer (a string as text, anything else as JSON);</li>
 *   <li>what a Java peer sends to the node's peer reaches the node as {@code {"from": "echo", "payload": ANY}};</li>
 *   <li>a packet that cannot be delivered comes back as {@code {"from": TO, "error": "Peer not found (id: TO)"}}.</li>
 * </ul>
 *
 * <p>Threads: the listener runs on the node's event thread; deliveries complete on the host's executor. The map of
 * node peers is concurrent: the event thread adds and removes, {@link #close()} empties it.
 */
final class MasterlessBridge implements Bridge {
    private static final Logger LOG = LoggerFactory.getLogger(MasterlessBridge.class);
    private final Host host;
    private final MasterlessNode node;
    /** The peer on the host standing for each linked masterless node. */
    private final Map<String, Peer> nodes = new ConcurrentHashMap<>();

    private MasterlessBridge(Host host, MasterlessNode node) {
        this.host = host;
        this.node = node;
    }

    /** Starts a node on the address ({@code masterless+tcp://host:port}) for the host. */
    static CompletableFuture<MasterlessBridge> start(Host host, String listen) {
        MasterlessBridge b = new MasterlessBridge(host, MasterlessNode.create(host.id(), listen));
        b.node.addListener(b.new Events());
        return b.node.start().thenApply(n -> b);
    }

    @Override
    public String describe() {
        return "masterless node " + node.id() + " at " + node.info();
    }

    /** Dials a masterless node and keeps the link (re-dialled when it drops, as masterless's keep). */
    @Override
    public CompletableFuture<Void> join(String address) {
        return node.connect(address).thenApply(id -> null);
    }

    @Override
    public CompletableFuture<Void> close() {
        nodes.values().forEach(Peer::remove);
        nodes.clear();
        return node.close();
    }

    private final class Events implements MasterlessListener {
        @Override
        public void onConnect(String id, URI info) {
            // masterless drops a link that neither side keeps; a node that dialled in may not have said yet that
            // it keeps the link, and its first packets must not be lost meanwhile. Kept while linked only.
            node.keep(id, true);
            peer(id);
        }

        @Override
        public void onDisconnect(String id) {
            node.keep(id, false);
            Peer p = nodes.remove(id);
            if (p != null) {
                p.remove();
            }
        }

        @Override
        public void onMessage(String from, ObjectNode packet) {
            JsonNode to = packet.get("to");
            if (to == null || !to.isTextual()) {
                LOG.debug("masterless packet from {} without a peer to deliver to: {}", from, packet);
                return;
            }
            String target = to.asText();
            peer(from).send(target, Payloads.ofValue(Headers.EMPTY, packet.get("payload"))).whenComplete((v, e) -> {
                if (e != null) {
                    Throwable why = ExitCodes.unwrap(e);
                    node.send(from, Map.of("from", target, "error", String.valueOf(why.getMessage())));
                }
            });
        }
    }

    /** The peer standing for a linked node, made when first needed. */
    private Peer peer(String nodeId) {
        return nodes.computeIfAbsent(nodeId, n -> {
            Peer p = host.create(n);
            p.onMessage((from, m) -> toNode(n, from, m));
            return p;
        });
    }

    private void toNode(String nodeId, String from, Message m) {
        ObjectNode packet = Payloads.JSON.createObjectNode().put("from", from);
        packet.set("payload", Payloads.value(m));
        if (!node.send(nodeId, packet)) {
            LOG.debug("masterless node {} is not linked: a packet from {} was dropped", nodeId, from);
        }
    }
}

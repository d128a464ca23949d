package io.meshbus.compat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.meshbus.bus.Host;
import io.meshbus.bus.Peer;
import io.meshbus.bus.Subscription;
import io.meshbus.message.Headers;
import io.meshbus.message.Message;
import java.util.concurrent.CompletableFuture;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Publishes across a distribus gateway, both ways. A subscription to {@code >} hands each of the host's publishes to
 * the Node hosts as a distribus {@code publish} notification (to every host, as distribus does: receivers deliver
 * locally only); a Node host's publish is published on the host by the gateway's own peer.
 *
 * <p>Invariant: a Node publish is never forwarded back to the Node hosts. It is published by the gateway's own peer,
 * and the subscription passes over everything that peer published, so each publish crosses once.
 *
 * <p>Threads: {@link #onNodePublish} runs on the gateway's work thread, the subscription's callback on the host's
 * executor; the peer and the subscription are set once by {@link #start} and read through volatiles.
 */
final class PublishBridge {
    private static final Logger LOG = LoggerFactory.getLogger(PublishBridge.class);

    private final Host host;
    private final String peerId;
    private final Consumer<ObjectNode> toNodeHosts;
    private volatile Peer peer;
    private volatile Subscription everything;

    /**
     * @param peerId      the gateway's own peer, created by {@link #start}
     * @param toNodeHosts sends a {@code publish} notification's params to every Node host
     */
    PublishBridge(Host host, String peerId, Consumer<ObjectNode> toNodeHosts) {
        this.host = host;
        this.peerId = peerId;
        this.toNodeHosts = toNodeHosts;
    }

    /** Creates the gateway's peer at once; completes when the host's publishes are being forwarded. */
    CompletableFuture<Void> start() {
        peer = host.create(peerId);
        return host.subscribe(">", this::onJavaPublish).thenAccept(s -> everything = s);
    }

    /** The gateway's own peer (null before start): Node publishes come from it. */
    Peer peer() {
        return peer;
    }

    private void onJavaPublish(String from, Message m) {
        if (peerId.equals(from)) {
            return;
        }
        String channel = m.header(Headers.CHANNEL);
        if (channel == null) {
            return;
        }
        ObjectNode p = DistroJson.MAPPER.createObjectNode().put("channel", channel);
        p.set("message", DistroJson.payload(m));
        toNodeHosts.accept(p);
    }

    /** A Node host's {@code publish}: published on the host (a channel that is no Meshbus subject is passed over). */
    void onNodePublish(JsonNode params) {
        String channel = params.path("channel").asText(null);
        if (channel == null) {
            return;
        }
        try {
            peer.publish(channel, DistroJson.toPayload(params.get("message")));
        } catch (IllegalArgumentException e) {
            LOG.debug("{}: channel '{}' is not a Meshbus subject: {}", peerId, channel, e.getMessage());
        }
    }

    void close() {
        Subscription s = everything;
        if (s != null) {
            s.unsubscribe();
        }
        Peer p = peer;
        if (p != null) {
            p.remove();
        }
    }
}

package io.meshbus.route;

import io.meshbus.bus.Peer;
import io.meshbus.message.Message;
import io.meshbus.node.Node;
import io.meshbus.node.Registration;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;

/**
 * Puts a {@link Router} on a node or a peer, so verbs and URIs work across the mesh: messages with a {@code uri}
 * header are dispatched, confirmations and responses go back to the sender.
 */
public final class Routing {
    private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(Routing.class);

    private Routing() {
    }

    /** Serves a router on a node; the registration stops it. */
    public static Registration serve(Node node, Router router) {
        return node.onMessage((from, m) -> {
            if (m.header(io.meshbus.message.Headers.URI) == null || Exchange.isAnswer(m)) {
                return;
            }
            if (Exchange.wantsConfirmation(m)) {
                node.send(from, Exchange.received(m));
            }
            Router.Outcome o = router.dispatch(m, from);
            if (Exchange.wantsResponse(m)) {
                io.meshbus.node.SendStatus s = node.send(from,
                        Exchange.response(o, m.header(io.meshbus.message.Headers.CORRELATION_ID)));
                if (!s.accepted()) {
                    LOG.warn("response to {} not sent: {}", from, s);
                }
            }
        });
    }

    /** Serves a router on a peer: requests from other peers get a response with a status. */
    public static Registration serve(Peer peer, Router router) {
        return peer.onMessage((from, m) -> {
            if (m.header(io.meshbus.message.Headers.URI) == null) {
                return;
            }
            Router.Outcome o = router.dispatch(m, from);
            if (m.header(io.meshbus.message.Headers.REPLY_TO) != null) {
                peer.reply(m, Exchange.response(o, m.header(io.meshbus.message.Headers.CORRELATION_ID)));
            }
        });
    }

    /** A routed request from one peer to another, anywhere in the network. */
    public static CompletableFuture<Response> request(Peer from, String to, Message request, Duration timeout) {
        return from.request(to, request, timeout).thenApply(m -> m.header(io.meshbus.message.Headers.STATUS) == null
                ? new Response(Status.OK, m, null) : Exchange.toResponse(m));
    }

    /** A client of the router served on another node, over this node's link to it. */
    public static RouteClient client(Node node, String serverNodeId) {
        return new RouteClient(node, serverNodeId);
    }
}

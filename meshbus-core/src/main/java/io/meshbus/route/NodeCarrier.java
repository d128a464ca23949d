package io.meshbus.route;

import io.meshbus.error.ClosedException;
import io.meshbus.message.Message;
import io.meshbus.node.Node;
import io.meshbus.node.SendStatus;
import java.net.URI;
import java.time.Duration;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import org.slf4j.Logger;

/**
 * The distro API over node links (tcp, ws, mem): framing, one reused connection per client, limits and heartbeats
 * come from the node layer; distro opened a connection per message and had no framing.
 */
final class NodeCarrier implements DistroTransport {
    private final String scheme;

    NodeCarrier(String scheme) {
        this.scheme = scheme;
    }

    @Override
    public String name() {
        return scheme;
    }

    private URI uri(Info info) {
        if (scheme.equals("mem")) {
            return URI.create("mem://" + (info.port() == 0 ? "0" : "distro-" + info.port()));
        }
        String host = info.address().contains(":") ? "[" + info.address() + "]" : info.address();
        return URI.create(scheme + "://" + host + ":" + info.port());
    }

    @Override
    public Server server(Info info, Logger logger) {
        Router router = new Router();
        Node node = Node.builder("distro-server-" + UUID.randomUUID()).listen(uri(info)).build();
        Routing.serve(node, router);
        return new Server() {
            @Override
            public Router router() {
                return router;
            }

            @Override
            public CompletableFuture<Server> start() {
                return node.start().thenApply(n -> {
                    logger.info("{} server listening on {}", scheme, n.info());
                    return this;
                });
            }

            @Override
            public Info info() {
                URI u = node.info();
                if (u == null) {
                    return info;
                }
                if (scheme.equals("mem")) {
                    return new Info(u.getAuthority(), 0);
                }
                String h = u.getHost();
                return new Info(h.startsWith("[") ? h.substring(1, h.length() - 1) : h, u.getPort());
            }

            @Override
            public CompletableFuture<Void> close() {
                return node.close();
            }
        };
    }

    @Override
    public Client client(Info info, Logger logger) {
        Node node = Node.builder("distro-client-" + UUID.randomUUID()).build();
        URI target = scheme.equals("mem") ? URI.create("mem://" + info.address()) : uri(info);
        CompletableFuture<RouteClient> link = node.start().thenCompose(n -> n.connect(target))
                .thenApply(id -> Routing.client(node, id));
        return new Client() {
            @Override
            public CompletableFuture<Void> send(Message m) {
                return link.thenCompose(c -> {
                    SendStatus s = c.send(m);
                    if (s.accepted()) {
                        return CompletableFuture.completedFuture(null);
                    }
                    return CompletableFuture.failedFuture(s == SendStatus.BACK_PRESSURED
                            ? new io.meshbus.error.BackPressureException("send queue to the server is full")
                            : new ClosedException("not sent: " + s));
                });
            }

            @Override
            public CompletableFuture<Message> sendConfirmed(Message m, Duration timeout) {
                return link.thenCompose(c -> c.sendConfirmed(m, timeout));
            }

            @Override
            public CompletableFuture<Response> request(Message m, Duration timeout) {
                return link.thenCompose(c -> c.request(m, timeout));
            }

            @Override
            public CompletableFuture<Void> close() {
                link.thenAccept(RouteClient::close);
                return node.close();
            }
        };
    }
}

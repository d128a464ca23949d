package io.meshbus.cli;

import io.meshbus.bus.Host;
import io.meshbus.bus.Peer;
import io.meshbus.compat.Dialect;
import io.meshbus.compat.DistroJson;
import io.meshbus.message.Headers;
import io.meshbus.message.Message;
import io.meshbus.route.Client;
import io.meshbus.route.Distro;
import io.meshbus.route.Exchange;
import io.meshbus.route.Info;
import io.meshbus.route.RouteContext;
import io.meshbus.route.Server;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Puts a host's peers behind distro 0.4.0's wire ({@code distro+tcp}, {@code distro+udp4}, {@code distro+udp6}).
 * distro has no peers and no replies, only messages with a {@code uri} (and RECEIVED confirmations), so:
 * <ul>
 *   <li>a distro message to uri {@code /PEER} or {@code /PEER/...} reaches peer PEER of the network, headers and
 *   payload kept;</li>
 *   <li>its sender, when it names its own server in the {@code address}/{@code port} headers (as distro does for a
 *   confirmation), appears as a peer named after that server, {@code distro+tcp://ADDRESS:PORT}: what is sent to
 *   that peer is sent to the server (uri kept, or {@code /SENDER} when the message had none; a {@code from} header
 *   names the sender), so an echo peer's answer goes back;</li>
 *   <li>{@link #join} makes such a peer for a distro server at a known address.</li>
 * </ul>
 * At most {@link #MAX_SENDERS} sender peers are made; messages from further senders arrive from the bridge's own peer.
 *
 * <p>Threads: handlers run on distro's handler threads, deliveries complete on the host's executor; the map of
 * server peers is concurrent.
 */
final class DistroBridge implements Bridge {
    private static final Logger LOG = LoggerFactory.getLogger(DistroBridge.class);
    static final int MAX_SENDERS = 1024;
    private final Host host;
    private final Dialect dialect;
    private final Server server;
    private final Peer own;
    /** The peer standing for each distro server by its address, and the client that reaches it. */
    private final Map<String, Remote> remotes = new ConcurrentHashMap<>();

    private record Remote(Peer peer, Client client) {
    }

    private DistroBridge(Host host, Dialect dialect, Server server) {
        this.host = host;
        this.dialect = dialect;
        this.server = server;
        this.own = host.create("distro-gateway." + host.id() + "." + dialect.scheme());
    }

    /** Starts a distro server on the address ({@code distro+tcp://host:port}, ...) for the host. */
    static CompletableFuture<DistroBridge> start(Host host, String listen) {
        URI u = URI.create(listen);
        Dialect d = Dialect.of(u);
        Server s = Distro.create(d.scheme()).server(new Info(Schemes.host(u), u.getPort()));
        DistroBridge b = new DistroBridge(host, d, s);
        s.receive(ctx -> {
            b.deliver(ctx);
            return null;
        });
        return s.start().thenApply(x -> b);
    }

    @Override
    public String describe() {
        Info i = server.info();
        String a = i.address().contains(":") ? "[" + i.address() + "]" : i.address();
        return "distro server at " + dialect.scheme() + "://" + a + ":" + i.port();
    }

    /** Makes the peer for the distro server at the address (its id is the address as given). */
    @Override
    public CompletableFuture<Void> join(String address) {
        URI u = URI.create(address);
        remote(address, Schemes.host(u), u.getPort());
        return CompletableFuture.completedFuture(null);
    }

    @Override
    public CompletableFuture<Void> close() {
        remotes.values().forEach(r -> {
            r.peer().remove();
            r.client().close();
        });
        remotes.clear();
        own.remove();
        return server.close();
    }

    private void deliver(RouteContext ctx) {
        Message m = ctx.message();
        if (Exchange.isAnswer(m) || DistroJson.confirmedId(m) != null) {
            return;
        }
        String target = target(ctx.uri());
        if (target == null) {
            LOG.debug("{}: a message to {} names no peer; dropped", dialect.scheme(), ctx.uri());
            return;
        }
        Peer from = own;
        InetSocketAddress back = DistroJson.replyAddress(m);
        if (back != null) {
            String h = back.getHostString();
            String id = dialect.scheme() + "://" + (h.contains(":") ? "[" + h + "]" : h) + ":" + back.getPort();
            Remote r = remotes.size() < MAX_SENDERS ? remote(id, h, back.getPort()) : remotes.get(id);
            from = r != null ? r.peer() : own;
        }
        Map<String, String> h = new LinkedHashMap<>(m.headers().asMap());
        h.remove(DistroJson.ADDRESS);
        h.remove(DistroJson.PORT);
        Message in = m.withHeaders(Headers.of(h));
        from.send(target, in).whenComplete((v, e) -> {
            if (e != null) {
                LOG.debug("{}: message to {} not delivered: {}", dialect.scheme(), target, e.toString());
            }
        });
    }

    /** The first segment of the uri, decoded: the peer it is for (null when there is none). */
    static String target(String uri) {
        if (uri == null) {
            return null;
        }
        String path = uri.startsWith("/") ? uri.substring(1) : uri;
        int q = path.indexOf('?');
        path = q >= 0 ? path.substring(0, q) : path;
        int slash = path.indexOf('/');
        String first = slash >= 0 ? path.substring(0, slash) : path;
        return first.isEmpty() ? null : URLDecoder.decode(first, StandardCharsets.UTF_8);
    }

    private Remote remote(String id, String address, int port) {
        return remotes.computeIfAbsent(id, k -> {
            Client c = Distro.create(dialect.scheme()).client(new Info(address, port));
            Peer p = host.create(k);
            p.onMessage((from, m) -> {
                Map<String, String> h = new LinkedHashMap<>(m.headers().asMap());
                h.remove(Headers.REPLY_TO);
                h.remove(Headers.CORRELATION_ID);
                h.putIfAbsent(Headers.URI, "/" + from);
                h.put(Headers.FROM, from);
                c.send(m.withHeaders(Headers.of(h))).whenComplete((v, e) -> {
                    if (e != null) {
                        LOG.debug("{}: message from {} to {} not sent: {}", dialect.scheme(), from, k, e.toString());
                    }
                });
            });
            return new Remote(p, c);
        });
    }
}

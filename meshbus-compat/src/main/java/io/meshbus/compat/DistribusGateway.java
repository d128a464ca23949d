package io.meshbus.compat;

import com.fasterxml.jackson.databind.JsonNode;
import io.meshbus.bus.Host;
import io.meshbus.bus.Peer;
import io.meshbus.error.NetworkIdMismatchException;
import io.meshbus.error.PeerNotFoundException;
import io.meshbus.node.Delay;
import io.meshbus.node.Registration;
import java.net.InetSocketAddress;
import java.net.URI;
import java.time.Duration;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Makes a Meshbus {@link Host} a member of a distribus 0.4.0 network (WebSocket text frames, the requestify
 * envelope, methods greeting, join, find, send, publish, goodbye, ping, hosts). It attaches to the host through its
 * public API only:
 * <ul>
 *   <li>the host's own peers are presented to the Node network: a Node host's {@code find} for one of them is
 *   answered with this gateway's url, and a Node {@code send} to one of them is delivered to it, from a proxy
 *   {@link Peer} named after the Node sender (created on the host when first needed), so the Java peer can answer
 *   with {@code peer.send(from, ...)};</li>
 *   <li>Node peers appear on the Java side as proxy peers: {@link #importPeer(String)} finds one in the Node network
 *   and creates its proxy; what Java peers send to a proxy is forwarded with a distribus {@code send};</li>
 *   <li>publishes cross both ways: a subscription to {@code >} forwards the host's publishes as distribus
 *   {@code publish} notifications, and Node publishes are published on the host by the gateway's own peer (never
 *   forwarded back).</li>
 * </ul>
 * Attach one gateway per Meshbus network (several gateways on hosts of one network would each forward the same
 * publishes). Error texts towards Node hosts are distribus's exact strings.
 *
 * <p>The rooms: this class is the API and the lifecycle; {@link DistribusLinks} the WebSocket links (listening,
 * dialling, greeting, joining, goodbye, reconnect timers), {@link ProxyPeers} peer addressing both ways,
 * {@link PublishBridge} publishes both ways, {@link DistribusMethods} the answers to Node hosts' requests, and
 * {@link DistribusConnection} one WebSocket connection.
 *
 * <p>Threads: the API may be called from any thread; requests from Node hosts run on the gateway's own thread.
 */
public final class DistribusGateway {
    private static final Logger LOG = LoggerFactory.getLogger(DistribusGateway.class);

    private final Host host;
    private final InetSocketAddress bind;
    private final String advertisedHost;
    private final DistribusLinks links;
    private final ProxyPeers proxies;
    private final PublishBridge bridge;
    private final DistribusMethods methods;
    private volatile boolean closed;
    private volatile Registration resolver;

    private DistribusGateway(Builder b) {
        this.host = b.host;
        this.bind = new InetSocketAddress(b.listen.getHost(), Math.max(b.listen.getPort(), 0));
        this.advertisedHost = b.advertise != null ? b.advertise : b.listen.getHost();
        String ownPeer = "distribus-gateway." + host.id();
        // The links come first: they reach the rooms made after them through the two methods at the end.
        this.links = new DistribusLinks(this::onRequest, this::forgetPeers, b.maxFrame, b.requestTimeout, b.redial,
                b.reconnectTimeout, b.networkId != null ? b.networkId : host.networkId());
        this.proxies = new ProxyPeers(host, ownPeer, links);
        this.bridge = new PublishBridge(host, ownPeer, params -> links.notifyAll("publish", params));
        this.methods = new DistribusMethods(host.id(), links, proxies, bridge, b.requestTimeout);
    }

    /** A gateway for a started host; listens on {@code distribus+ws://127.0.0.1:0} unless told otherwise. */
    public static Builder builder(Host host) {
        return new Builder(host);
    }

    /** Settings of a {@link DistribusGateway}; each setter says its default. */
    public static final class Builder {
        private final Host host;
        private URI listen = URI.create("ws://127.0.0.1:0");
        private String advertise;
        private String networkId;
        private Duration requestTimeout = Duration.ofSeconds(60);
        private Delay redial = DistribusLinks.redial(Duration.ofSeconds(1), 2, Duration.ofMinutes(5));
        private Duration reconnectTimeout = Duration.ofMinutes(5);
        private int maxFrame = 1 << 20;

        private Builder(Host host) {
            this.host = Objects.requireNonNull(host, "host");
        }

        /** {@code distribus+ws://host:port} (or {@code ws://}); binds exactly that address, port 0 picks one. */
        public Builder listen(String uri) {
            URI u = Dialect.strip(URI.create(Objects.requireNonNull(uri, "uri")));
            if (u.getHost() == null) {
                throw new IllegalArgumentException("listen: expected distribus+ws://host:port, was " + uri);
            }
            this.listen = u;
            return this;
        }

        /** The host name put in the announced url (default: the listen host). distribus compares urls as strings. */
        public Builder advertise(String hostName) {
            this.advertise = hostName;
            return this;
        }

        /** The distribus networkId (default: the Meshbus host's). */
        public Builder networkId(String id) {
            this.networkId = id;
            return this;
        }

        /** distribus's fixed 60 s, configurable. */
        public Builder requestTimeout(Duration d) {
            if (Objects.requireNonNull(d, "requestTimeout").isNegative() || d.isZero()) {
                throw new IllegalArgumentException("requestTimeout: must be positive, was " + d);
            }
            this.requestTimeout = d;
            return this;
        }

        /**
         * Re-dial settings for links this gateway opened, as distribus's {@code reconnectDelay} (default 1 s),
         * {@code reconnectDecay} (2) and {@code reconnectTimeout} (5 min); the delay is multiplied by the decay after
         * each failed attempt (distribus divided it, so its retries got faster).
         *
         * @throws IllegalArgumentException when the delay is not positive or the decay is below 1
         */
        public Builder reconnect(Duration delay, double decay, Duration timeout) {
            Objects.requireNonNull(timeout, "timeout");
            if (Objects.requireNonNull(delay, "delay").isNegative() || delay.isZero() || !(decay >= 1)) {
                throw new IllegalArgumentException("reconnect: delay must be positive and decay at least 1, were "
                        + delay + " and " + decay);
            }
            this.redial = DistribusLinks.redial(delay, decay, timeout);
            this.reconnectTimeout = timeout;
            return this;
        }

        /** The largest WebSocket message accepted (default 1 MiB; ws@0.4.32 had no limit). */
        public Builder maxFrame(int bytes) {
            if (bytes < 1) {
                throw new IllegalArgumentException("maxFrame: must be positive, was " + bytes);
            }
            this.maxFrame = bytes;
            return this;
        }

        public DistribusGateway build() {
            return new DistribusGateway(this);
        }
    }

    // ------------------------------------------------------------------ lifecycle

    public CompletableFuture<DistribusGateway> start() {
        CompletableFuture<Void> bridged = bridge.start();
        // A Java peer anywhere in the Meshbus network sends to a Node peer by id: when the directory has no such
        // peer, the host asks this gateway, which finds it on the distribus side and makes its proxy here.
        resolver = host.addResolver(id -> closed ? CompletableFuture.completedFuture(false)
                : importPeer(id).handle((peer, e) -> e == null && peer != null));
        return links.listen(bind, advertisedHost).thenCombine(bridged, (url, v) -> {
            LOG.info("host {}: distribus gateway at {}", host.id(), url);
            return this;
        });
    }

    /** The url Node hosts know this host by ({@code ws://host:port}), or null before start. */
    public String url() {
        return links.url();
    }

    /** The same as {@code distribus+ws://host:port}. */
    public URI info() {
        String url = links.url();
        return url == null ? null : Dialect.DISTRIBUS.wrap(url);
    }

    public Host host() {
        return host;
    }

    public String networkId() {
        return links.networkId();
    }

    /** The urls of the distribus hosts this one is connected to. */
    public Set<String> connections() {
        return links.urls();
    }

    /** Frames and envelopes refused (each closed its connection). */
    public long protocolErrors() {
        return links.protocolErrors();
    }

    /** Java-to-Node sends that could not be delivered (the Java sender had already been confirmed). */
    public long forwardFailures() {
        return proxies.forwardFailures();
    }

    /** Goodbye to every connected host (they forget this host's peers), then closes everything. */
    public CompletableFuture<Void> close() {
        closed = true;
        Registration r = resolver;
        if (r != null) {
            r.close();
        }
        return links.close().handle((v, e) -> {
            bridge.close();
            proxies.close();
            methods.close();
            return null;
        });
    }

    // ------------------------------------------------------------------ joining

    /**
     * Joins the distribus network of the host at {@code target} ({@code distribus+ws://} or {@code ws://}): greeting
     * (fails with {@link NetworkIdMismatchException} carrying distribus's text), then asks the others to join it,
     * which ends in a full mesh.
     */
    public CompletableFuture<Void> join(String target) {
        return links.join(target);
    }

    /**
     * Joins by address, the dialect chosen by its scheme: {@code distribus+ws://} joins a distribus network through
     * this gateway, any other scheme ({@code tcp://}, {@code ws://}, ...) is a native Meshbus join of the host.
     */
    public CompletableFuture<Void> joinAny(String seed) {
        if (Dialect.of(URI.create(seed)) == Dialect.DISTRIBUS) {
            return join(seed);
        }
        return host.join(seed).thenApply(h -> null);
    }

    // ------------------------------------------------------------------ peers

    /**
     * Where a peer lives, as distribus's {@code find}: this gateway's url for the host's own peers, else the url of
     * the Node-side host that has it (asked in parallel, first answer cached). Fails with
     * {@link PeerNotFoundException} "Peer not found (id: X)"; never hangs when a host fails to answer.
     */
    public CompletableFuture<String> find(String peerId) {
        return proxies.find(peerId);
    }

    /**
     * Makes a Node-side peer addressable from the Java side: finds it and creates a proxy peer with its id on the
     * host; Java peers then simply {@code send} to that id. Completes with the proxy (or the existing local peer).
     */
    public CompletableFuture<Peer> importPeer(String peerId) {
        return proxies.importPeer(peerId);
    }

    /** The links, for the connection fuzz test: what a connection reports to. */
    DistribusLinks links() {
        return links;
    }

    private void onRequest(DistribusConnection c, JsonNode id, JsonNode message) {
        methods.onRequest(c, id, message);
    }

    private void forgetPeers(String url) {
        proxies.forgetPeers(url);
    }

    @Override
    public String toString() {
        return "DistribusGateway[" + host.id() + " " + links.url() + " " + links.urls() + "]";
    }
}

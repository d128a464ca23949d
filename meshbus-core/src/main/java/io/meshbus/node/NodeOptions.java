package io.meshbus.node;

import io.meshbus.transport.Transports;
import io.meshbus.wire.NodeIds;
import io.meshbus.wire.Protocol;
import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.Executor;

/**
 * A node's settings, immutable. The defaults live here and only here:
 *
 * <table>
 * <caption>Defaults</caption>
 * <tr><th>option</th><th>default</th><th>what it bounds</th></tr>
 * <tr><td>maxFrameSize</td><td>4 MiB</td><td>largest frame sent or accepted; bigger closes the link</td></tr>
 * <tr><td>handshakeTimeout</td><td>5 s</td><td>a link must finish its handshake in this time</td></tr>
 * <tr><td>heartbeatInterval</td><td>1 s</td><td>a PING goes out when nothing was written for this long</td></tr>
 * <tr><td>idleTimeout</td><td>5 s</td><td>a link with nothing read for this long is dead</td></tr>
 * <tr><td>connectTimeout</td><td>5 s</td><td>TCP connect</td></tr>
 * <tr><td>reconnectDelay</td><td>exponential with jitter, 50 ms x2 up to 5 s</td><td>pause before attempt n</td></tr>
 * <tr><td>reconnectGiveUp</td><td>60 s</td><td>after this long down, a remote is forgotten, its queue fails</td></tr>
 * <tr><td>sendQueueCapacity</td><td>65,536 messages</td><td>messages waiting per remote node</td></tr>
 * <tr><td>maxQueuedBytes</td><td>64 MiB</td><td>bytes of messages waiting per remote node (a message is always
 * taken by an empty queue)</td></tr>
 * <tr><td>overflowPolicy</td><td>FAIL</td><td>what a full send queue does</td></tr>
 * <tr><td>inboundLimit</td><td>65,536 messages</td><td>received but undelivered messages per link before the link
 * stops reading (TCP back-pressure to the sender)</td></tr>
 * <tr><td>reapIdleUnkept</td><td>30 s</td><td>a link neither side keeps is closed after this long without
 * data</td></tr>
 * <tr><td>closeTimeout</td><td>5 s</td><td>how long close() waits for goodbyes before cutting links</td></tr>
 * <tr><td>secret</td><td>none</td><td>links only with nodes proving the same secret</td></tr>
 * <tr><td>maxConnections</td><td>10,000</td><td>links at once; more are refused</td></tr>
 * <tr><td>maxConnectionsPerAddress</td><td>1,000</td><td>links dialled in from one address</td></tr>
 * <tr><td>maxPendingHandshakes</td><td>1,000</td><td>connections dialled in that are still in their handshake (within
 * maxConnections): more are refused, so connections that prove nothing cannot take the places of live links</td></tr>
 * <tr><td>authenticator</td><td>none (everyone)</td><td>which remotes may link, from their credential and
 * certificate</td></tr>
 * <tr><td>credentials</td><td>none</td><td>what this node presents to the other side's authenticator</td></tr>
 * <tr><td>memoryBudget</td><td>a quarter of the heap (16 MiB to 1 GiB)</td><td>bytes queued for all remotes
 * together (and the host's at-least-once buffers and the gateways' queues); when full, the queues of remotes that are
 * down are released first, then sends are refused as back-pressure</td></tr>
 * <tr><td>deliverOnIoThread</td><td>false</td><td>listeners run on the executor; when true, on the I/O thread that
 * read the message (they must not block)</td></tr>
 * <tr><td>blockedThreadBound</td><td>100 ms</td><td>with deliverOnIoThread, a listener holding an I/O thread longer
 * is logged with its stack and counted in ioThreadBlocked</td></tr>
 * </table>
 */
public record NodeOptions(String id, List<URI> listen, URI advertise, int maxFrameSize, Duration handshakeTimeout,
                          Duration heartbeatInterval, Duration idleTimeout, Duration connectTimeout,
                          Delay reconnectDelay, Duration reconnectGiveUp, int sendQueueCapacity,
                          OverflowPolicy overflowPolicy, int inboundLimit, Duration reapIdleUnkept,
                          Duration closeTimeout, Executor executor, Transports transports, byte[] secret,
                          int maxConnections, int maxConnectionsPerAddress, Authenticator authenticator,
                          byte[] credentials, long maxQueuedBytes, int maxPendingHandshakes,
                          long memoryBudget, boolean deliverOnIoThread, Duration blockedThreadBound) {

    public NodeOptions {
        Objects.requireNonNull(id, "id");
        String badId = NodeIds.problem(id);
        if (badId != null) {
            throw new IllegalArgumentException("id: must be 1..1024 characters of valid Unicode: " + badId);
        }
        listen = List.copyOf(listen);
        if (maxFrameSize < Protocol.MIN_MAX_FRAME_SIZE) {
            throw new IllegalArgumentException("maxFrameSize: must be at least " + Protocol.MIN_MAX_FRAME_SIZE);
        }
        positive(handshakeTimeout, "handshakeTimeout");
        positive(heartbeatInterval, "heartbeatInterval");
        positive(idleTimeout, "idleTimeout");
        positive(connectTimeout, "connectTimeout");
        positive(reconnectGiveUp, "reconnectGiveUp");
        positive(reapIdleUnkept, "reapIdleUnkept");
        positive(closeTimeout, "closeTimeout");
        positive(blockedThreadBound, "blockedThreadBound");
        if (idleTimeout.compareTo(heartbeatInterval) <= 0) {
            throw new IllegalArgumentException("idleTimeout: must be longer than heartbeatInterval ("
                    + heartbeatInterval + "), was " + idleTimeout);
        }
        if (sendQueueCapacity < 1) {
            throw new IllegalArgumentException("sendQueueCapacity: must be at least 1");
        }
        if (inboundLimit < 1) {
            throw new IllegalArgumentException("inboundLimit: must be at least 1");
        }
        Objects.requireNonNull(reconnectDelay, "reconnectDelay");
        Objects.requireNonNull(overflowPolicy, "overflowPolicy");
        Objects.requireNonNull(transports, "transports");
        if (secret != null && secret.length < 16) {
            throw new IllegalArgumentException("secret: at least 16 bytes, was " + secret.length);
        }
        secret = secret == null ? null : secret.clone();
        if (maxConnections < 1 || maxConnectionsPerAddress < 1 || maxPendingHandshakes < 1) {
            throw new IllegalArgumentException("maxConnections, maxConnectionsPerAddress and maxPendingHandshakes:"
                    + " at least 1");
        }
        if (credentials != null && credentials.length > Protocol.MAX_CREDENTIAL) {
            throw new IllegalArgumentException("credentials: at most " + Protocol.MAX_CREDENTIAL + " bytes, was "
                    + credentials.length);
        }
        credentials = credentials == null ? new byte[0] : credentials.clone();
        if (maxQueuedBytes < 1) {
            throw new IllegalArgumentException("maxQueuedBytes: must be at least 1");
        }
        if (memoryBudget < maxFrameSize) {
            throw new IllegalArgumentException("memoryBudget: at least maxFrameSize (" + maxFrameSize + "), was "
                    + memoryBudget);
        }
    }

    /** A copy: what this node presents, never changed by whoever reads it. */
    @Override
    public byte[] credentials() {
        return credentials.clone();
    }

    private static void positive(Duration d, String name) {
        Objects.requireNonNull(d, name);
        if (d.isNegative() || d.isZero()) {
            throw new IllegalArgumentException(name + ": must be positive, was " + d);
        }
    }

    public static Builder builder(String id) {
        return new Builder(id);
    }

    /** Builds {@link NodeOptions}; every setter names the option it sets, unset options keep their default. */
    public static final class Builder {
        private final String id;
        private final List<URI> listen = new ArrayList<>();
        private URI advertise;
        private int maxFrameSize = Protocol.DEFAULT_MAX_FRAME_SIZE;
        private Duration handshakeTimeout = Duration.ofSeconds(5);
        private Duration heartbeatInterval = Duration.ofSeconds(1);
        private Duration idleTimeout = Duration.ofSeconds(5);
        private Duration connectTimeout = Duration.ofSeconds(5);
        private Delay reconnectDelay = Delay.exponentialWithJitter(Duration.ofMillis(50), Duration.ofSeconds(5), 2.0);
        private Duration reconnectGiveUp = Duration.ofSeconds(60);
        private int sendQueueCapacity = 65_536;
        private OverflowPolicy overflowPolicy = OverflowPolicy.FAIL;
        private int inboundLimit = 65_536;
        private Duration reapIdleUnkept = Duration.ofSeconds(30);
        private Duration closeTimeout = Duration.ofSeconds(5);
        private Executor executor;
        private Transports transports;
        private byte[] secret;
        private io.meshbus.transport.TlsConfig tls;
        private int maxConnections = 10_000;
        private int maxConnectionsPerAddress = 1_000;
        private Authenticator authenticator;
        private byte[] credentials;
        private long maxQueuedBytes = 64L * 1024 * 1024;
        private int maxPendingHandshakes = 1_000;
        private long memoryBudget = MemoryBudget.defaultLimit();
        private boolean deliverOnIoThread;
        private Duration blockedThreadBound = Duration.ofMillis(100);

        Builder(String id) {
            this.id = id;
        }

        /** Adds a URI to listen on, e.g. {@code tcp://127.0.0.1:0} or {@code mem://0}. */
        public Builder listen(String uri) {
            return listen(URI.create(uri));
        }

        public Builder listen(URI uri) {
            listen.add(Objects.requireNonNull(uri, "uri"));
            return this;
        }

        /** The address other nodes should dial, when it differs from the bound one (NAT, containers). */
        public Builder advertise(URI uri) {
            this.advertise = uri;
            return this;
        }

        public Builder maxFrameSize(int bytes) {
            this.maxFrameSize = bytes;
            return this;
        }

        public Builder handshakeTimeout(Duration d) {
            this.handshakeTimeout = d;
            return this;
        }

        public Builder heartbeatInterval(Duration d) {
            this.heartbeatInterval = d;
            return this;
        }

        public Builder idleTimeout(Duration d) {
            this.idleTimeout = d;
            return this;
        }

        public Builder connectTimeout(Duration d) {
            this.connectTimeout = d;
            return this;
        }

        public Builder reconnectDelay(Delay delay) {
            this.reconnectDelay = delay;
            return this;
        }

        public Builder reconnectGiveUp(Duration d) {
            this.reconnectGiveUp = d;
            return this;
        }

        public Builder sendQueueCapacity(int messages) {
            this.sendQueueCapacity = messages;
            return this;
        }

        /**
         * Most bytes of messages waiting for one remote node (beside {@code sendQueueCapacity}); past it the
         * {@code overflowPolicy} applies. An empty queue always takes one message, so a message up to the frame
         * size can always be sent. Default 64 MiB.
         */
        public Builder maxQueuedBytes(long bytes) {
            this.maxQueuedBytes = bytes;
            return this;
        }

        /**
         * Most bytes queued for all remote nodes together, and for what the layers above queue on this node's
         * budget (default: a quarter of the heap, 16 MiB to 1 GiB). When it is full, the queues of remotes whose link
         * is down are released first (their messages fail with {@code PeerUnreachableException}), then a send that
         * still does not fit is refused as back-pressure.
         */
        public Builder memoryBudget(long bytes) {
            this.memoryBudget = bytes;
            return this;
        }

        public Builder overflowPolicy(OverflowPolicy policy) {
            this.overflowPolicy = policy;
            return this;
        }

        public Builder inboundLimit(int messages) {
            this.inboundLimit = messages;
            return this;
        }

        public Builder reapIdleUnkept(Duration d) {
            this.reapIdleUnkept = d;
            return this;
        }

        public Builder closeTimeout(Duration d) {
            this.closeTimeout = d;
            return this;
        }

        /**
         * Runs listeners on the I/O thread that read the message instead of handing them to the executor: one thread
         * hand-off less per message (lower latency), for listeners that never block (no I/O, no locks held long, no
         * waiting on futures). Every link served by that thread waits while a listener runs, so a listener that holds
         * it longer than {@link #blockedThreadBound} is logged with its stack and counted ({@code ioThreadBlocked}).
         * Order per sender is the same on both paths. Default false.
         */
        public Builder deliverOnIoThread(boolean on) {
            this.deliverOnIoThread = on;
            return this;
        }

        /** With {@link #deliverOnIoThread}: how long a listener may hold an I/O thread before it is reported. */
        public Builder blockedThreadBound(Duration d) {
            this.blockedThreadBound = d;
            return this;
        }

        /** Where listeners run; default a shared pool of daemon threads. */
        public Builder executor(Executor executor) {
            this.executor = executor;
            return this;
        }

        /**
         * A network secret (at least 16 bytes): links are accepted only with nodes that prove the same secret in the
         * handshake (challenge and response; the secret never travels). Default none.
         */
        public Builder secret(byte[] secret) {
            this.secret = secret == null ? null : secret.clone();
            return this;
        }

        /**
         * Decides which remotes may link with this node, on every link and both ways (see {@link Authenticator},
         * {@link TokenAuthenticator}, {@link CertificateAuthenticator}). Default none: everyone who passes the
         * network secret and TLS, if any.
         */
        public Builder authenticator(Authenticator authenticator) {
            this.authenticator = authenticator;
            return this;
        }

        /** What this node presents to the other side's authenticator, e.g. a token (at most 65,535 bytes). */
        public Builder credentials(byte[] credentials) {
            this.credentials = credentials == null ? null : credentials.clone();
            return this;
        }

        /** A UTF-8 token as {@link #credentials(byte[])}. */
        public Builder credentials(String token) {
            return credentials(token == null ? null : token.getBytes(java.nio.charset.StandardCharsets.UTF_8));
        }

        /** Most links at once; a connection over it is refused at once (counted in connectionsRefused). */
        public Builder maxConnections(int links) {
            this.maxConnections = links;
            return this;
        }

        /** Most links dialled in from one remote address (a flood from one place cannot take all the others). */
        public Builder maxConnectionsPerAddress(int links) {
            this.maxConnectionsPerAddress = links;
            return this;
        }

        /**
         * Most connections dialled in that are still in their handshake; one more is refused at once (counted in
         * connectionsRefused and pendingHandshakesRefused). They count in {@code maxConnections} too, so the difference
         * is kept for live links whatever arrives. Default 1,000.
         */
        public Builder maxPendingHandshakes(int connections) {
            this.maxPendingHandshakes = connections;
            return this;
        }

        /** Enables {@code tls://} and {@code wss://} URIs (listen and dial) with these certificates. */
        public Builder tls(io.meshbus.transport.TlsConfig config) {
            this.tls = config;
            return this;
        }

        /** The transports by scheme; default those found on the class path. */
        public Builder transports(Transports transports) {
            this.transports = transports;
            return this;
        }

        public NodeOptions options() {
            return new NodeOptions(id, listen, advertise, maxFrameSize, handshakeTimeout, heartbeatInterval,
                    idleTimeout, connectTimeout, reconnectDelay, reconnectGiveUp, sendQueueCapacity, overflowPolicy,
                    inboundLimit, reapIdleUnkept, closeTimeout,
                    executor != null ? executor : DefaultExecutor.shared(),
                    withTls(transports != null ? transports : Transports.discover()), secret, maxConnections,
                    maxConnectionsPerAddress, authenticator, credentials, maxQueuedBytes, maxPendingHandshakes,
                    memoryBudget, deliverOnIoThread, blockedThreadBound);
        }

        private Transports withTls(Transports t) {
            return tls == null ? t : t.register(new io.meshbus.transport.TlsTransport(tls))
                    .register(new io.meshbus.transport.WsTransport(tls));
        }

        public Node build() {
            return new Node(options());
        }
    }
}

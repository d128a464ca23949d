package io.meshbus.bus;

import io.meshbus.node.Delay;
import io.meshbus.node.NodeOptions;
import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.UUID;
import java.util.function.Consumer;

/**
 * A host's settings, immutable; defaults live here. Reconnect settings carry distribus's names with their intended
 * meaning: the first re-dial waits {@code reconnectDelay}, each next one {@code reconnectDecay} times longer (a
 * growth factor, at least 1; distribus divided and retried ever faster), and after {@code reconnectTimeout} without
 * a link the lost host's peers are forgotten.
 *
 * <table>
 * <caption>Defaults</caption>
 * <tr><th>option</th><th>default</th></tr>
 * <tr><td>id</td><td>{@code host-} + random</td></tr>
 * <tr><td>networkId</td><td>none: adopts the network's on the first join</td></tr>
 * <tr><td>reconnectDelay / reconnectDecay / reconnectTimeout</td><td>1 s / 2 / 300 s (as distribus)</td></tr>
 * <tr><td>requestTimeout</td><td>60 s (as distribus), per host; per call too</td></tr>
 * <tr><td>directoryCacheSize</td><td>100,000 peer locations cached per host</td></tr>
 * <tr><td>directoryReplicas</td><td>2 hosts hold each peer's registration</td></tr>
 * <tr><td>maxPeers</td><td>10,000,000 local peers per host</td></tr>
 * <tr><td>maxRegistrationsPerMember</td><td>10,000,000 directory entries one member may hold here</td></tr>
 * <tr><td>maxSubscriptionsPerMember</td><td>100,000 subscription patterns one member may announce here</td></tr>
 * <tr><td>unackedMessages / unackedBytes</td><td>65,536 / 64 MiB at-least-once messages awaiting acknowledgement,
 * per remote host</td></tr>
 * <tr><td>retransmitAfter</td><td>1 s without acknowledgement before at-least-once messages go again (doubling to
 * 16 times that while nothing moves)</td></tr>
 * <tr><td>backplane</td><td>none: direct links between hosts</td></tr>
 * <tr><td>peerQueue</td><td>65,536 messages waiting per peer and per subscription,
 * {@link SlowConsumerPolicy#BACK_PRESSURE} when full</td></tr>
 * <tr><td>peerIdResolver</td><td>{@link PeerIdResolver#OLDEST}: of two peers with one id, the older keeps it</td></tr>
 * <tr><td>deliverOnIoThread</td><td>false: listeners and callbacks run on the executor</td></tr>
 * </table>
 */
public record HostOptions(String id, List<URI> listen, String networkId, Duration reconnectDelay,
                          double reconnectDecay, Duration reconnectTimeout, Duration requestTimeout,
                          int directoryCacheSize, int directoryReplicas, int maxPeers,
                          int maxRegistrationsPerMember, int maxSubscriptionsPerMember,
                          int unackedMessages, long unackedBytes, Duration retransmitAfter,
                          Consumer<NodeOptions.Builder> nodeSettings, Authorizer authorizer, Backplane backplane,
                          ConsumerOptions peerQueue, PeerIdResolver peerIdResolver, boolean deliverOnIoThread) {

    public HostOptions {
        Objects.requireNonNull(id, "id");
        listen = List.copyOf(listen);
        positive(reconnectDelay, "reconnectDelay");
        positive(reconnectTimeout, "reconnectTimeout");
        positive(requestTimeout, "requestTimeout");
        positive(retransmitAfter, "retransmitAfter");
        if (unackedMessages < 1 || unackedBytes < 1) {
            throw new IllegalArgumentException("unackedMessages >= 1, unackedBytes >= 1");
        }
        if (!(reconnectDecay >= 1.0)) {
            throw new IllegalArgumentException("reconnectDecay: a growth factor, at least 1, was " + reconnectDecay);
        }
        if (maxRegistrationsPerMember < 1 || maxSubscriptionsPerMember < 1) {
            throw new IllegalArgumentException("maxRegistrationsPerMember >= 1, maxSubscriptionsPerMember >= 1");
        }
        if (directoryCacheSize < 0 || directoryReplicas < 1 || maxPeers < 1) {
            throw new IllegalArgumentException("directoryCacheSize >= 0, directoryReplicas >= 1, maxPeers >= 1");
        }
        Objects.requireNonNull(nodeSettings, "nodeSettings");
        Objects.requireNonNull(authorizer, "authorizer");
        Objects.requireNonNull(peerQueue, "peerQueue");
        Objects.requireNonNull(peerIdResolver, "peerIdResolver");
    }

    private static void positive(Duration d, String name) {
        Objects.requireNonNull(d, name);
        if (d.isNegative() || d.isZero()) {
            throw new IllegalArgumentException(name + ": must be positive, was " + d);
        }
    }

    /** The node settings a host runs with: its listen URIs and the reconnect policy above. */
    NodeOptions.Builder nodeBuilder() {
        Duration maxDelay = reconnectTimeout.compareTo(Duration.ofSeconds(30)) < 0 ? reconnectTimeout
                : Duration.ofSeconds(30);
        if (maxDelay.compareTo(reconnectDelay) < 0) {
            maxDelay = reconnectDelay;
        }
        NodeOptions.Builder b = NodeOptions.builder(id)
                .reconnectDelay(Delay.exponentialWithJitter(reconnectDelay, maxDelay, reconnectDecay))
                .reconnectGiveUp(reconnectTimeout)
                .deliverOnIoThread(deliverOnIoThread);
        listen.forEach(b::listen);
        nodeSettings.accept(b);
        return b;
    }

    public static Builder builder() {
        return new Builder();
    }

    /** Builds {@link HostOptions}. */
    public static final class Builder {
        private String id = "host-" + UUID.randomUUID().toString().substring(0, 8);
        private final List<URI> listen = new ArrayList<>();
        private String networkId;
        private Duration reconnectDelay = Duration.ofSeconds(1);
        private double reconnectDecay = 2.0;
        private Duration reconnectTimeout = Duration.ofMinutes(5);
        private Duration requestTimeout = Duration.ofSeconds(60);
        private int directoryCacheSize = 100_000;
        private int directoryReplicas = 2;
        private int maxPeers = 10_000_000;
        private int maxRegistrationsPerMember = 10_000_000;
        private int maxSubscriptionsPerMember = 100_000;
        private int unackedMessages = 65_536;
        private long unackedBytes = 64L << 20;
        private Duration retransmitAfter = Duration.ofSeconds(1);
        private Consumer<NodeOptions.Builder> nodeSettings = b -> { };
        private Authorizer authorizer = Authorizer.ALLOW_ALL;
        private PeerIdResolver peerIdResolver = PeerIdResolver.OLDEST;
        private Backplane backplane;
        private ConsumerOptions peerQueue = ConsumerOptions.DEFAULT;
        private boolean deliverOnIoThread;

        Builder() {
        }

        public Builder id(String id) {
            this.id = id;
            return this;
        }

        public Builder listen(String uri) {
            return listen(URI.create(uri));
        }

        public Builder listen(URI uri) {
            listen.add(Objects.requireNonNull(uri, "uri"));
            return this;
        }

        public Builder networkId(String networkId) {
            this.networkId = networkId;
            return this;
        }

        public Builder reconnectDelay(Duration d) {
            this.reconnectDelay = d;
            return this;
        }

        public Builder reconnectDecay(double factor) {
            this.reconnectDecay = factor;
            return this;
        }

        public Builder reconnectTimeout(Duration d) {
            this.reconnectTimeout = d;
            return this;
        }

        public Builder requestTimeout(Duration d) {
            this.requestTimeout = d;
            return this;
        }

        public Builder directoryCacheSize(int entries) {
            this.directoryCacheSize = entries;
            return this;
        }

        public Builder directoryReplicas(int hosts) {
            this.directoryReplicas = hosts;
            return this;
        }

        public Builder maxPeers(int peers) {
            this.maxPeers = peers;
            return this;
        }

        /**
         * How many of its peers one member may register in this host's share of the directory; past it, further
         * registrations from that member are refused (counted as {@code limitRefusals}, logged).
         */
        public Builder maxRegistrationsPerMember(int entries) {
            this.maxRegistrationsPerMember = entries;
            return this;
        }

        /**
         * How many subscription patterns one member may announce here; past it, a new subscription on that member
         * fails with {@link io.meshbus.error.BackPressureException} and the rest are ignored (counted, logged).
         */
        public Builder maxSubscriptionsPerMember(int patterns) {
            this.maxSubscriptionsPerMember = patterns;
            return this;
        }

        /**
         * Bounds the at-least-once messages this host keeps for one remote host until they are acknowledged; past
         * either bound a further {@link Peer#sendAtLeastOnce} to that host fails at once with
         * {@link io.meshbus.error.BackPressureException} (counted as {@code atLeastOnceRefused}).
         */
        public Builder unacked(int messages, long bytes) {
            this.unackedMessages = messages;
            this.unackedBytes = bytes;
            return this;
        }

        /** How long at-least-once messages wait for an acknowledgement before they go again without a new link. */
        public Builder retransmitAfter(Duration d) {
            this.retransmitAfter = d;
            return this;
        }

        /**
         * Which peer keeps an id that two hosts hold, when parts of a network that each created it meet (default:
         * {@link PeerIdResolver#OLDEST}). Every host of a network must use the same resolver.
         */
        public Builder peerIdResolver(PeerIdResolver resolver) {
            this.peerIdResolver = Objects.requireNonNull(resolver, "peerIdResolver");
            return this;
        }

        /** What remote hosts may do here (default: everything). */
        public Builder authorizer(Authorizer authorizer) {
            this.authorizer = Objects.requireNonNull(authorizer, "authorizer");
            return this;
        }

        /**
         * Runs the host over a broker instead of direct links: hosts find each other through it and {@link Host#join}
         * needs no seeds. One backplane per host.
         */
        public Builder backplane(Backplane backplane) {
            this.backplane = Objects.requireNonNull(backplane, "backplane");
            return this;
        }

        /**
         * The queue of every peer and subscription of this host that has no queue of its own
         * ({@link Host#create(String, ConsumerOptions)}, {@link Host#subscribe(String, String, PeerListener,
         * ConsumerOptions)}): at most {@code capacity} messages wait for its listeners, and {@code policy} says what
         * a full queue does. Default: 65,536 messages, {@link SlowConsumerPolicy#BACK_PRESSURE}.
         *
         * @throws IllegalArgumentException when {@code capacity} is below 1 or {@code policy} is null
         */
        public Builder peerQueue(int capacity, SlowConsumerPolicy policy) {
            this.peerQueue = ConsumerOptions.of(capacity, policy);
            return this;
        }

        /**
         * The fast path: messages from other hosts are handled on the I/O thread that read them, and peers' listeners,
         * subscriptions and request futures run there too, saving a thread hand-off at each end of a round trip.
         * Only for listeners that never block (no I/O, no waiting on futures, no long locks): every link on that
         * thread waits while one runs, and one that holds it past the node's {@code blockedThreadBound} (100 ms) is
         * logged with its stack and counted in the node's {@code ioThreadBlocked}. A peer or subscription whose
         * {@link ConsumerOptions#mayBlock} is set still runs on the executor. Messages between peers of this host,
         * and everything over a backplane, are unchanged. Default false.
         */
        public Builder deliverOnIoThread(boolean on) {
            this.deliverOnIoThread = on;
            return this;
        }

        /** Lower-level node settings (transports, executor, frame size, heartbeats...). */
        public Builder node(Consumer<NodeOptions.Builder> settings) {
            this.nodeSettings = Objects.requireNonNull(settings, "settings");
            return this;
        }

        public HostOptions options() {
            return new HostOptions(id, listen, networkId, reconnectDelay, reconnectDecay, reconnectTimeout,
                    requestTimeout, directoryCacheSize, directoryReplicas, maxPeers,
                    maxRegistrationsPerMember, maxSubscriptionsPerMember, unackedMessages, unackedBytes,
                    retransmitAfter, nodeSettings, authorizer,
                    backplane, peerQueue, peerIdResolver, deliverOnIoThread);
        }

        public Host build() {
            return new Host(options());
        }
    }
}

package io.meshbus.bus;

import io.meshbus.message.Message;
import io.meshbus.node.SendStatus;

import java.util.Collection;
import java.util.concurrent.CompletableFuture;

/**
 * Carries a host's traffic through a broker instead of direct links (see {@code meshbus-redis}, {@code meshbus-nats}).
 * The host keeps its whole behaviour (directory, channels, confirmations, requests); the backplane only has to move
 * messages between host inboxes, in order per pair of hosts, and tell which hosts are alive.
 *
 * <p>Set one with {@link HostOptions.Builder#backplane(Backplane)}; a backplane serves one host.
 */
public interface Backplane {

    /** A short name for logs and metrics: {@code redis}, {@code nats}. */
    String name();

    /**
     * Connects as {@code hostId}. The future completes once this host's inbox receives and every host alive at that
     * moment was reported through {@link Events#onHostUp}; it fails typed when the broker cannot be reached.
     */
    CompletableFuture<Void> start(String hostId, long incarnation, Events events);

    /**
     * Hands a message to another host's inbox. Never blocks: returns {@link SendStatus#QUEUED} when taken,
     * {@link SendStatus#BACK_PRESSURED} when the outgoing buffer is full and {@link SendStatus#NOT_CONNECTED} while
     * the broker is unreachable or the host is not alive.
     */
    SendStatus send(String hostId, Message message);

    /** Sends one message to several hosts; returns how many took it. Implementations encode it once. */
    default int send(Collection<String> hostIds, Message message) {
        int n = 0;
        for (String h : hostIds) {
            if (send(h, message).accepted()) {
                n++;
            }
        }
        return n;
    }

    /**
     * Whether this backplane carries channels on the broker's own subscriptions: a publish is then one broker publish
     * that the broker fans out, instead of one message per interested host. Queue groups stay with the hosts.
     */
    default boolean nativeChannels() {
        return false;
    }

    /**
     * Starts receiving publishes on a subject pattern ({@code *}/{@code >} as in {@link Subjects}); completes when
     * the broker confirmed it. Called once per distinct pattern of this host. Reports through
     * {@link Events#onPublish}, with exactly this pattern.
     */
    default CompletableFuture<Void> subscribe(String pattern) {
        throw new UnsupportedOperationException(name() + " has no native channels");
    }

    default void unsubscribe(String pattern) {
        throw new UnsupportedOperationException(name() + " has no native channels");
    }

    /**
     * Whether {@link #subscribe(String, String)} is available: the broker hands each message of a queue group to one
     * subscriber in the whole network (NATS queue subscriptions). Otherwise the hosts choose the member.
     */
    default boolean nativeQueueGroups() {
        return false;
    }

    /** Joins a queue group on a pattern; reports through {@link Events#onGroupPublish}. */
    default CompletableFuture<Void> subscribe(String pattern, String group) {
        throw new UnsupportedOperationException(name() + " has no native queue groups");
    }

    default void unsubscribe(String pattern, String group) {
        throw new UnsupportedOperationException(name() + " has no native queue groups");
    }

    /** Publishes to every host subscribed to a matching pattern, this one included (its echo is ignored). */
    default SendStatus publish(String subject, Message message) {
        throw new UnsupportedOperationException(name() + " has no native channels");
    }

    /**
     * Whether the broker holds the peer directory itself ({@link #register}, {@link #lookup}) instead of the hosts'
     * rendezvous-hashed directory.
     */
    default boolean nativeDirectory() {
        return false;
    }

    /** Records that a peer lives on this host (asynchronous; a lookup soon after may not see it yet). */
    default void register(String peerId) {
        throw new UnsupportedOperationException(name() + " has no native directory");
    }

    /** Forgets a peer of this host, unless another host registered the same id since. */
    default void unregister(String peerId) {
        throw new UnsupportedOperationException(name() + " has no native directory");
    }

    /**
     * The id of the live host a peer is registered on, or null. An entry left by a host that crashed or restarted
     * is never returned (and may be removed on the way).
     */
    default CompletableFuture<String> lookup(String peerId) {
        throw new UnsupportedOperationException(name() + " has no native directory");
    }

    /** Whether the host is alive as far as the broker knows. */
    boolean isAlive(String hostId);

    /** Says goodbye (other hosts learn at once that this one left) and disconnects. Idempotent. */
    CompletableFuture<Void> close();

    /**
     * What a backplane reports. Calls for one remote host come one at a time, in order: an up before that host's
     * messages, a down after them.
     */
    interface Events {
        void onMessage(String fromHost, Message message);

        /**
         * A publish that arrived through the broker subscription to {@code pattern}. The broker may match more
         * widely than the pattern says (Redis globs); the host checks the subject itself.
         */
        void onPublish(String fromHost, String pattern, Message message);

        /**
         * A publish the broker chose this host for, as the member of a queue group; it may come from this host
         * itself (the broker picks among every member, local ones included).
         */
        void onGroupPublish(String fromHost, String pattern, String group, Message message);

        /** A host is alive; {@code incarnation} changes when it restarted. May repeat for a host already up. */
        void onHostUp(String hostId, long incarnation);

        /** A host left or stopped refreshing its liveness. */
        void onHostDown(String hostId, String why);

        /**
         * The broker lost what this host had stored there (it restarted empty): the host registers its peers with
         * the directory again.
         */
        void onBrokerReset();
    }
}

package io.meshbus.nats;

import io.meshbus.error.BrokerUnavailableException;
import io.nats.client.Connection;
import io.nats.client.Dispatcher;
import io.nats.client.Subscription;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeoutException;

/**
 * A host's channel subscriptions on NATS: one NATS subscription per pattern, and per (pattern, queue group) a NATS
 * queue subscription, so the server gives each message to one member of the group in the whole network. A
 * subscription counts as live once the server has processed it (a flush round trip).
 *
 * <p>Threads: any thread; the map is concurrent and a pattern's subscription is made at most once.
 */
final class NatsChannels {
    /** Where a channel record goes: the backplane's hand-over to the host. */
    @FunctionalInterface
    interface Delivery {
        void deliver(String pattern, String group, byte[] data);
    }

    private final NatsSubjects subjects;
    private final Connection connection;
    private final Dispatcher dispatcher;
    private final Duration confirmWithin;
    private final Executor confirmOn;
    private final Delivery delivery;
    private final ConcurrentHashMap<String, Subscription> subscriptions = new ConcurrentHashMap<>();

    /** @param confirmOn where the confirming flush waits (never the caller's thread) */
    NatsChannels(NatsSubjects subjects, Connection connection, Dispatcher dispatcher, Duration confirmWithin,
                 Executor confirmOn, Delivery delivery) {
        this.subjects = subjects;
        this.connection = connection;
        this.dispatcher = dispatcher;
        this.confirmWithin = confirmWithin;
        this.confirmOn = confirmOn;
        this.delivery = delivery;
    }

    CompletableFuture<Void> subscribe(String pattern) {
        String subject = subjects.channel(pattern, true);
        subscriptions.computeIfAbsent(pattern, k -> dispatcher.subscribe(subject,
                msg -> delivery.deliver(pattern, null, msg.getData())));
        return confirmed(pattern);
    }

    CompletableFuture<Void> subscribe(String pattern, String group) {
        String subject = subjects.channel(pattern, true);
        subscriptions.computeIfAbsent(groupKey(pattern, group), k -> dispatcher.subscribe(subject,
                NatsSubjects.token(group), msg -> delivery.deliver(pattern, group, msg.getData())));
        return confirmed(pattern);
    }

    void unsubscribe(String pattern) {
        drop(pattern);
    }

    void unsubscribe(String pattern, String group) {
        drop(groupKey(pattern, group));
    }

    private void drop(String key) {
        Subscription s = subscriptions.remove(key);
        if (s != null) {
            dispatcher.unsubscribe(s);
        }
    }

    private static String groupKey(String pattern, String group) {
        return pattern + '\u0000' + group;
    }

    /** Live once the server has processed the SUB: a flush round trip, off the caller's thread. */
    private CompletableFuture<Void> confirmed(String pattern) {
        return CompletableFuture.runAsync(() -> {
            try {
                connection.flush(confirmWithin);
            } catch (TimeoutException e) {
                throw new BrokerUnavailableException("NATS did not confirm the subscription to " + pattern, e);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new BrokerUnavailableException("interrupted", e);
            }
        }, confirmOn);
    }
}

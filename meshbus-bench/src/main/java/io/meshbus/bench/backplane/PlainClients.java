package io.meshbus.bench.backplane;

import io.lettuce.core.RedisClient;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.api.async.RedisAsyncCommands;
import io.lettuce.core.codec.ByteArrayCodec;
import io.lettuce.core.pubsub.RedisPubSubAdapter;
import io.lettuce.core.pubsub.StatefulRedisPubSubConnection;
import io.meshbus.bench.Contender;
import io.meshbus.bench.Waits;
import io.nats.client.Connection;
import io.nats.client.Dispatcher;
import io.nats.client.Nats;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * The baselines of the backplane scenarios: each broker's own Java client with default options, publishing on one
 * connection and subscribed on another, {@code byte[]} payloads. Both use the broker directly, as an application
 * without the bus would.
 */
final class PlainClients {
    private static final String SUBJECT = "bench.data";

    private PlainClients() {
    }

    /** The plain client of {@code broker}, set up and primed. */
    static LocalStream open(Broker broker, int size) throws Exception {
        LocalStream s = broker == Broker.REDIS ? lettuce(broker.uri(), size) : jnats(broker.uri(), size);
        try {
            s.prime(broker.client);
            return s;
        } catch (Exception e) {
            s.close();
            throw e;
        }
    }

    /** One Lettuce client: a connection that publishes, a pub/sub connection that subscribes; byte[] codec. */
    private static LocalStream lettuce(String uri, int size) throws IOException {
        RedisClient client = RedisClient.create(uri);
        try {
            byte[] channel = (Broker.namespace() + ":" + SUBJECT).getBytes(StandardCharsets.UTF_8);
            byte[] payload = Contender.payload(size);
            StatefulRedisPubSubConnection<byte[], byte[]> sub = client.connectPubSub(ByteArrayCodec.INSTANCE);
            StatefulRedisConnection<byte[], byte[]> pub = client.connect(ByteArrayCodec.INSTANCE);
            RedisAsyncCommands<byte[], byte[]> async = pub.async();
            LocalStream s = new LocalStream(size, () -> async.publish(channel, payload) != null, () -> 0,
                    () -> client.shutdown(Duration.ZERO, Duration.ofSeconds(2)));
            sub.addListener(new RedisPubSubAdapter<>() {
                @Override
                public void message(byte[] ch, byte[] message) {
                    s.hit(message.length);
                }
            });
            sub.sync().subscribe(channel);
            return s;
        } catch (RuntimeException e) {
            client.shutdown(Duration.ZERO, Duration.ofSeconds(2));
            throw new IOException("Redis at " + uri + " (MESHBUS_REDIS_URI): " + e, e);
        }
    }

    /** Two jnats connections with default options, one publishing, one subscribed through a dispatcher. */
    private static LocalStream jnats(String uri, int size) throws Exception {
        io.nats.client.Options.Builder options = new io.nats.client.Options.Builder().server(uri)
                .connectionTimeout(Waits.LIFECYCLE);
        List<Connection> connections = new ArrayList<>();
        try {
            String subject = Broker.namespace() + "." + SUBJECT;
            byte[] payload = Contender.payload(size);
            Connection sub = Nats.connect(options.connectionName("bench-subscriber").build());
            connections.add(sub);
            Connection pub = Nats.connect(options.connectionName("bench-publisher").build());
            connections.add(pub);
            Dispatcher[] d = new Dispatcher[1];
            LocalStream s = new LocalStream(size, () -> {
                pub.publish(subject, payload);
                return true;
            }, () -> d[0].getDroppedCount(), () -> closeNats(connections));
            d[0] = sub.createDispatcher(m -> s.hit(m.getData().length));
            d[0].subscribe(subject);
            // The server has the subscription once it answered a ping sent after it.
            sub.flush(Waits.LIFECYCLE);
            return s;
        } catch (Exception e) {
            closeNats(connections);
            if (e instanceof InterruptedException) {
                throw e;
            }
            throw new IOException("NATS at " + uri + " (MESHBUS_NATS_URI): " + e, e);
        }
    }

    private static void closeNats(List<Connection> connections) throws IOException {
        try {
            for (Connection c : connections) {
                c.close();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted while closing NATS connections", e);
        }
    }
}

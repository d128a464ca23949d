package io.meshbus.bench.peers;

import com.hazelcast.config.Config;
import com.hazelcast.config.JoinConfig;
import com.hazelcast.config.NetworkConfig;
import io.meshbus.bench.Contender;
import io.meshbus.bench.Tally;
import io.meshbus.bench.Waits;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.eventbus.EventBus;
import io.vertx.core.eventbus.EventBusOptions;
import io.vertx.core.eventbus.Message;
import io.vertx.spi.cluster.hazelcast.HazelcastClusterManager;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * The Vert.x event bus, clustered over loopback with the Hazelcast cluster manager, as a peer: {@code request} for
 * the round trip (the child's consumer replies with the request's body), {@code send} one way. Each JVM is a
 * Hazelcast member on 127.0.0.1 only (multicast and auto-detection off, TCP-IP join to the child's member, a cluster
 * name unique to the run, no phone-home, no logging); the event bus listens on 127.0.0.1, port 0. The child reports
 * {@code vertx://127.0.0.1:hazelcastPort/clusterName}. Sends do not push back, so the stream keeps within a
 * {@link ProbedWindow}: the child's consumer answers a request carrying the {@code count} header with its count.
 */
final class VertxContender extends PeerContender {
    static final VertxContender VERTX = new VertxContender();

    private static final String ECHO = "bench.echo";
    private static final String SINK = "bench.sink";
    private static final String COUNT = "count";
    /** Far above any healthy round trip; the latency loop's own watchdog gives up much sooner. */
    private static final Duration REQUEST_TIMEOUT = Duration.ofSeconds(30);
    /** How long a new member may take to see the other's consumer: registrations spread asynchronously. */
    private static final Duration REGISTRATION = Duration.ofSeconds(30);
    /**
     * Hazelcast warns on its first start that it lacks access to JDK internals (it would use them for its own data
     * structures, which carry no event-bus message here); kept referenced, since JUL holds its loggers weakly.
     */
    private static final Logger HAZELCAST_LOG = Logger.getLogger("com.hazelcast");

    static {
        HAZELCAST_LOG.setLevel(Level.SEVERE);
    }

    private VertxContender() {
        super("vertx");
    }

    @Override
    ChildServer serve(int size, boolean echo) throws Exception {
        String cluster = "mbbench-" + Long.toString(ThreadLocalRandom.current().nextLong() & Long.MAX_VALUE, 36);
        int port = freePort();
        Vertx vertx = clustered(cluster, port, port);
        Tally tally = new Tally(size);
        // A consumer runs on one event loop, one message at a time: the tally's single writer.
        var consumer = vertx.eventBus().<byte[]>consumer(echo ? ECHO : SINK, m -> {
            if (m.headers().contains(COUNT)) {
                m.reply(tally.delivered());
                return;
            }
            if (echo) {
                m.reply(m.body());
            }
            tally.count(m.body().length);
        });
        Waits.await(completable(consumer.completion()));
        return tally.server(() -> URI.create("vertx://127.0.0.1:" + port + "/" + cluster), () -> close(vertx));
    }

    @Override
    public Pinger pingerTo(URI address, int size) throws Exception {
        Vertx vertx = join(address);
        EventBus bus = vertx.eventBus();
        byte[] payload = Contender.payload(size);
        DeliveryOptions options = new DeliveryOptions().setSendTimeout(REQUEST_TIMEOUT.toMillis());
        awaitConsumer(vertx, ECHO, payload);
        return new Pinger() {
            /** The request waited for; failed by close, so a watchdog's close ends the wait. */
            private volatile CompletableFuture<Message<byte[]>> waiting;

            @Override
            public void roundTrip() throws IOException, InterruptedException {
                CompletableFuture<Message<byte[]>> f = completable(bus.request(ECHO, payload, options));
                waiting = f;
                try {
                    byte[] reply = f.get().body();
                    if (reply.length != payload.length) {
                        throw new IOException("vertx: a reply of " + reply.length + " bytes to " + payload.length);
                    }
                } catch (ExecutionException e) {
                    throw new IOException("vertx: the request failed: " + e.getCause(), e.getCause());
                }
            }

            @Override
            public void close() throws IOException {
                CompletableFuture<Message<byte[]>> f = waiting;
                if (f != null) {
                    f.completeExceptionally(new IOException("closed"));
                }
                VertxContender.close(vertx);
            }
        };
    }

    @Override
    public StreamSender streamTo(URI address, int size) throws Exception {
        Vertx vertx = join(address);
        EventBus bus = vertx.eventBus();
        byte[] payload = Contender.payload(size);
        DeliveryOptions probe = new DeliveryOptions().addHeader(COUNT, "1")
                .setSendTimeout(REQUEST_TIMEOUT.toMillis());
        awaitConsumer(vertx, SINK, new byte[0]);
        return new ProbedWindow(() -> completable(bus.<Long>request(SINK, new byte[0], probe))
                .thenApply(Message::body), () -> bus.send(SINK, payload), () -> close(vertx));
    }

    /** A clustered Vert.x in this JVM, joined to the child's member. */
    private static Vertx join(URI address) throws Exception {
        return clustered(address.getPath().substring(1), freePort(), address.getPort());
    }

    /**
     * Asks {@code address} until its consumer answers: a member that just joined may not see the other's
     * registration yet, and a send to no handler is dropped without a word. A count request to the echo is answered
     * too, without counting.
     */
    private static void awaitConsumer(Vertx vertx, String address, byte[] body) throws Exception {
        DeliveryOptions options = new DeliveryOptions().addHeader(COUNT, "1").setSendTimeout(1_000);
        long deadline = System.nanoTime() + REGISTRATION.toNanos();
        while (true) {
            try {
                Waits.await(completable(vertx.eventBus().request(address, body, options)));
                return;
            } catch (Exception e) {
                if (System.nanoTime() - deadline > 0) {
                    close(vertx);
                    throw new IOException("vertx: no consumer at " + address + " within " + REGISTRATION.toSeconds()
                            + " s: " + e, e);
                }
                Thread.sleep(50);
            }
        }
    }

    /** A Hazelcast member on 127.0.0.1:{@code port} of {@code cluster}, joining {@code seedPort}, under Vert.x. */
    private static Vertx clustered(String cluster, int port, int seedPort) throws Exception {
        Config hz = new Config().setClusterName(cluster);
        hz.setProperty("hazelcast.phone.home.enabled", "false");
        hz.setProperty("hazelcast.logging.type", "none");
        hz.setProperty("hazelcast.socket.bind.any", "false");
        hz.setProperty("hazelcast.wait.seconds.before.join", "0");
        hz.setProperty("hazelcast.shutdownhook.enabled", "false");
        NetworkConfig net = hz.getNetworkConfig().setPort(port).setPortAutoIncrement(false);
        net.getInterfaces().setEnabled(true).addInterface("127.0.0.1");
        JoinConfig join = net.getJoin();
        join.getMulticastConfig().setEnabled(false);
        join.getAutoDetectionConfig().setEnabled(false);
        join.getTcpIpConfig().setEnabled(true).addMember("127.0.0.1:" + seedPort);
        VertxOptions options = new VertxOptions().setEventBusOptions(new EventBusOptions().setHost("127.0.0.1")
                .setPort(0).setClusterPublicHost("127.0.0.1"));
        return Waits.await(completable(Vertx.builder().with(options)
                .withClusterManager(new HazelcastClusterManager(hz)).buildClustered()), Duration.ofSeconds(60));
    }

    /**
     * A port free a moment ago, for the Hazelcast member: it cannot be told to take any port and report it, and the
     * child's member must be reachable at the port it reports.
     */
    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        }
    }

    private static <T> CompletableFuture<T> completable(Future<T> f) {
        return f.toCompletionStage().toCompletableFuture();
    }

    private static void close(Vertx vertx) throws IOException {
        try {
            completable(vertx.close()).get(Waits.LIFECYCLE.toSeconds(), TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted while closing Vert.x", e);
        } catch (Exception e) {
            throw new IOException("closing Vert.x failed: " + e, e);
        }
    }
}

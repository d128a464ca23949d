package io.meshbus.bench.peers;

import io.meshbus.bench.Contender;
import io.meshbus.bench.Tally;
import io.meshbus.bench.Waits;
import io.nats.client.Connection;
import io.nats.client.Dispatcher;
import io.nats.client.Message;
import io.nats.client.Nats;
import java.io.IOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.ThreadLocalRandom;

/**
 * NATS core through the local {@code nats-server} (jnats, default options), as a peer: request/reply (the child's
 * dispatcher publishes each request's data to its reply subject) and publish/subscribe one way. The subjects are
 * unique to the run; the child names its subject in the address it reports ({@code nats://host:port/subject}).
 * Core publishes do not push back, so the stream keeps within a {@link ProbedWindow}: the child answers requests on
 * {@code subject.count} with its count, on the same dispatcher, after the messages before them.
 */
final class NatsContender extends PeerContender {
    static final NatsContender NATS = new NatsContender();

    private static final String SERVER_ENV = "MESHBUS_NATS_URI";
    private static final String SERVER = "nats://127.0.0.1:4222";
    /** Far above any healthy round trip; the latency loop's own watchdog gives up much sooner. */
    private static final Duration REQUEST_TIMEOUT = Duration.ofSeconds(30);

    private NatsContender() {
        super("nats");
    }

    @Override
    ChildServer serve(int size, boolean echo) throws Exception {
        String server = server();
        String subject = "mbbench-" + Long.toString(ThreadLocalRandom.current().nextLong() & Long.MAX_VALUE, 36);
        Connection c = connect(server, echo ? "bench-echo" : "bench-sink");
        Tally tally = new Tally(size);
        // One dispatcher, one thread: messages and count requests from one publisher come in the order sent.
        Dispatcher d = c.createDispatcher();
        d.subscribe(subject, m -> {
            if (echo) {
                c.publish(m.getReplyTo(), m.getData());
            }
            tally.count(m.getData().length);
        });
        d.subscribe(subject + ".count", m -> c.publish(m.getReplyTo(),
                Long.toString(tally.delivered()).getBytes(StandardCharsets.US_ASCII)));
        // The server has the subscriptions once it answered a ping sent after them.
        c.flush(Waits.LIFECYCLE);
        return tally.server(() -> URI.create(server + "/" + subject), () -> close(c));
    }

    @Override
    public Pinger pingerTo(URI address, int size) throws Exception {
        Connection c = connect(serverOf(address), "bench-pinger");
        String subject = address.getPath().substring(1);
        byte[] payload = Contender.payload(size);
        return new Pinger() {
            @Override
            public void roundTrip() throws IOException, InterruptedException {
                Message reply = c.request(subject, payload, REQUEST_TIMEOUT);
                if (reply == null || reply.getData().length != payload.length) {
                    throw new IOException("nats: no echo of the request" + (reply == null ? ""
                            : " (a reply of " + reply.getData().length + " bytes)"));
                }
            }

            @Override
            public void close() throws IOException {
                NatsContender.close(c);
            }
        };
    }

    @Override
    public StreamSender streamTo(URI address, int size) throws Exception {
        Connection c = connect(serverOf(address), "bench-publisher");
        String subject = address.getPath().substring(1);
        byte[] payload = Contender.payload(size);
        return new ProbedWindow(() -> c.request(subject + ".count", new byte[0])
                .thenApply(m -> Long.parseLong(new String(m.getData(), StandardCharsets.US_ASCII))),
                () -> c.publish(subject, payload), () -> close(c));
    }

    private static String server() {
        String u = System.getenv(SERVER_ENV);
        return u == null || u.isBlank() ? SERVER : u.strip();
    }

    private static String serverOf(URI address) {
        return address.getScheme() + "://" + address.getHost() + ":" + address.getPort();
    }

    private static Connection connect(String server, String name) throws IOException {
        try {
            return Nats.connect(new io.nats.client.Options.Builder().server(server).connectionName(name)
                    .connectionTimeout(Waits.LIFECYCLE).build());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted while connecting to NATS at " + server, e);
        } catch (IOException e) {
            throw new IOException("NATS at " + server + " (" + SERVER_ENV + "): " + e, e);
        }
    }

    private static void close(Connection c) throws IOException {
        try {
            c.close();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted while closing a NATS connection", e);
        }
    }
}

package io.meshbus.bench;

import io.meshbus.bus.Host;
import io.meshbus.codec.ContentType;
import io.meshbus.message.Headers;
import io.meshbus.message.Message;
import io.meshbus.node.NodeMetrics;
import java.io.IOException;
import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Publish/subscribe as a benchmark contender (default host options): the harness's host publishes on one subject,
 * flat out, to hosts in the child JVM that each hold one subscription to it. {@code bus-publish} has one subscriber
 * host, {@code bus-fanout} four, joined into one network inside the child; the sink counts what the subscriptions'
 * listeners receive, all of them together.
 *
 * <p>{@link Host#publish} returns nothing: a message a full send queue refuses is lost without a word. The sender sees
 * refusals only in the node's {@code sendsBackPressured} metric, read around each publish, and backs off after any,
 * as after the node's {@code BACK_PRESSURED}. A publish no host took is simply published again; one that some hosts
 * took and others refused cannot be, and its refused deliveries are reported as lost.
 */
final class PubSubScenarios implements Contender {
    static final int FANOUT_HOSTS = 4;
    static final Contender PUBLISH = new PubSubScenarios("bus-publish", 1);
    static final Contender FANOUT = new PubSubScenarios("bus-fanout", FANOUT_HOSTS);

    static final String SUBJECT = "bench.data";

    private static final Duration LIFECYCLE_TIMEOUT = Duration.ofSeconds(30);

    private final String name;
    private final int subscribers;

    private PubSubScenarios(String name, int subscribers) {
        this.name = name;
        this.subscribers = subscribers;
    }

    /** The pub/sub scenarios, in the order {@code --list} shows them. */
    static List<Scenario> all() {
        return List.of(
                new ThroughputScenario("bus-publish", "host.publish to one subscriber host, counted on delivery to "
                        + "the subscription's listener; baseline: node-throughput's node", PUBLISH, NodeScenarios.NODE),
                new ThroughputScenario("bus-fanout", "host.publish to " + FANOUT_HOSTS + " subscriber hosts in one "
                        + "JVM, all deliveries counted; baseline: bus-publish", FANOUT, PUBLISH));
    }

    @Override
    public String name() {
        return name;
    }

    /**
     * Starts the subscriber hosts, joins all but the first to the first, then subscribes each: a subscription is
     * complete once every member knows it, so the harness, joining the first host last, learns all of them.
     */
    @Override
    public ChildServer sink(int size) throws Exception {
        List<Host> hosts = new ArrayList<>();
        List<AtomicLong[]> counts = new ArrayList<>();
        try {
            for (int i = 0; i < subscribers; i++) {
                hosts.add(await(Host.builder().id("bench-sub-" + i).listen("tcp://127.0.0.1:0").build().start()));
            }
            for (int i = 1; i < subscribers; i++) {
                await(hosts.get(i).join(hosts.get(0).info().toString()));
            }
            for (Host h : hosts) {
                // The bus runs a subscription's listener one call at a time: a single writer, so lazySet suffices.
                AtomicLong[] c = {new AtomicLong(), new AtomicLong()};
                counts.add(c);
                await(h.subscribe(SUBJECT, (from, m) -> {
                    AtomicLong n = c[m.payloadSize() == size ? 0 : 1];
                    n.lazySet(n.get() + 1);
                }));
            }
        } catch (Exception e) {
            closeAll(hosts);
            throw e;
        }
        return new ChildServer() {
            @Override
            public URI address() {
                return hosts.get(0).info();
            }

            @Override
            public long delivered() {
                return counts.stream().mapToLong(c -> c[0].get()).sum();
            }

            @Override
            public long malformed() {
                return counts.stream().mapToLong(c -> c[1].get()).sum();
            }

            @Override
            public void close() throws IOException {
                closeAll(hosts);
            }
        };
    }

    @Override
    public ChildServer echo(int size) {
        throw new UnsupportedOperationException(name + " has no echo");
    }

    @Override
    public Pinger pingerTo(URI address, int size) {
        throw new UnsupportedOperationException(name + " has no echo");
    }

    @Override
    public StreamSender streamTo(URI address, int size) throws Exception {
        Host host = await(Host.builder().id("bench-publisher").listen("tcp://127.0.0.1:0").build().start());
        try {
            await(host.join(address.toString()));
            checkInterests(host);
        } catch (Exception e) {
            closeAll(List.of(host));
            throw e;
        }
        byte[] payload = Contender.payload(size);
        NodeMetrics metrics = host.node().metrics();
        return new StreamSender() {
            private long deliveries;
            private long refusedPublishes;
            private long lostDeliveries;

            /** False, so the send loop backs off, when a send queue refused the message. */
            @Override
            public boolean trySend() {
                long before = metrics.sendsBackPressured();
                host.publish(SUBJECT, Message.ofBytes(Headers.EMPTY, ContentType.BYTES, payload));
                long refused = metrics.sendsBackPressured() - before;
                deliveries += subscribers - refused;
                if (refused == 0) {
                    return true;
                }
                if (refused < subscribers) {
                    lostDeliveries += refused;
                } else {
                    refusedPublishes++;
                }
                return false;
            }

            @Override
            public void flush() {
                // The node writes what it accepted on its own; nothing waits on this side.
            }

            @Override
            public long expectedDeliveries(long accepted) {
                return deliveries;
            }

            @Override
            public List<String> warnings() {
                List<String> w = new ArrayList<>();
                if (refusedPublishes > 0) {
                    w.add(String.format("%s: %,d publishes were refused by every host's full send queue, which "
                            + "publish does not report (seen in sendsBackPressured; published again after a back-off)",
                            name, refusedPublishes));
                }
                if (lostDeliveries > 0) {
                    w.add(String.format("%s: %,d deliveries lost: a full send queue refused a publish other hosts "
                            + "took, which publish does not report", name, lostDeliveries));
                }
                return w;
            }

            @Override
            public void close() throws IOException {
                closeAll(List.of(host));
            }
        };
    }

    /**
     * A join completes once the members' subscriptions are known; this checks it did, within a bound, and says so on
     * stderr when the interests came only after the join had completed.
     */
    private void checkInterests(Host host) throws Exception {
        long deadline = System.nanoTime() + LIFECYCLE_TIMEOUT.toNanos();
        boolean waited = false;
        while (host.members().size() < subscribers || host.metrics().get("remoteInterests") < subscribers) {
            if (System.nanoTime() > deadline) {
                throw new TimeoutException(name + ": " + LIFECYCLE_TIMEOUT.toSeconds() + " s after joining, the "
                        + "publisher knows " + host.members() + " with " + host.metrics().get("remoteInterests")
                        + " interests; expected " + subscribers + " of each");
            }
            waited = true;
            Thread.sleep(10);
        }
        if (waited) {
            System.err.println(name + ": the join completed before all " + subscribers + " subscriber hosts and "
                    + "their interests were known");
        }
    }

    private static <T> T await(CompletableFuture<T> f) throws Exception {
        try {
            return f.get(LIFECYCLE_TIMEOUT.toSeconds(), TimeUnit.SECONDS);
        } catch (ExecutionException e) {
            throw e.getCause() instanceof Exception cause ? cause : e;
        }
    }

    private static void closeAll(List<Host> hosts) throws IOException {
        try {
            CompletableFuture.allOf(hosts.stream().map(Host::close).toArray(CompletableFuture[]::new))
                    .get(LIFECYCLE_TIMEOUT.toSeconds(), TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted while closing hosts", e);
        } catch (ExecutionException | TimeoutException e) {
            throw new IOException("closing hosts " + hosts + " failed: " + e, e);
        }
    }
}

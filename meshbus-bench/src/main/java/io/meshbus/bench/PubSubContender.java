package io.meshbus.bench;

import io.meshbus.bus.Host;
import io.meshbus.codec.ContentType;
import io.meshbus.message.Headers;
import io.meshbus.message.Message;
import java.io.IOException;
import java.net.URI;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeoutException;

/**
 * Publish/subscribe as a benchmark contender (default host options): the harness's host publishes on one subject,
 * flat out, to hosts in the child JVM that each hold one subscription to it. {@code bus-publish} has one subscriber
 * host, {@code bus-fanout} four, joined into one network inside the child; the sink counts what the subscriptions'
 * listeners receive, all of them together.
 *
 * <p>The publisher uses {@link Host#publishAsync}: where a host's send queue is full the publish waits for room and the
 * sender waits on its future before the next, so no publish is refused (a refusal would be a bug, and is warned of).
 */
public final class PubSubContender extends TwoJvmContender {
    static final int FANOUT_HOSTS = 4;
    public static final PubSubContender PUBLISH = new PubSubContender("bus-publish", 1);
    public static final PubSubContender FANOUT = new PubSubContender("bus-fanout", FANOUT_HOSTS);

    static final String SUBJECT = "bench.data";

    private final int subscribers;

    private PubSubContender(String name, int subscribers) {
        super(name);
        this.subscribers = subscribers;
    }

    /**
     * Starts the subscriber hosts, joins all but the first to the first, then subscribes each: a subscription is
     * complete once every member knows it, so the harness, joining the first host last, learns all of them.
     */
    @Override
    public ChildServer sink(int size) throws Exception {
        List<Host> hosts = new ArrayList<>();
        List<Tally> tallies = new ArrayList<>();
        try {
            for (int i = 0; i < subscribers; i++) {
                hosts.add(Waits.await(Host.builder().id("bench-sub-" + i).listen("tcp://127.0.0.1:0").build()
                        .start()));
            }
            for (int i = 1; i < subscribers; i++) {
                Waits.await(hosts.get(i).join(hosts.get(0).info().toString()));
            }
            for (Host h : hosts) {
                // The bus runs a subscription's listener one call at a time: the tally's single writer.
                Tally t = new Tally(size);
                tallies.add(t);
                Waits.await(h.subscribe(SUBJECT, (from, m) -> t.count(m.payloadSize())));
            }
        } catch (Exception e) {
            Waits.close(hosts);
            throw e;
        }
        return new ChildServer(() -> hosts.get(0).info(), () -> tallies.stream().mapToLong(Tally::delivered).sum(),
                () -> tallies.stream().mapToLong(Tally::malformed).sum(), () -> Waits.close(hosts));
    }

    @Override
    public StreamSender streamTo(URI address, int size) throws Exception {
        Host host = Waits.await(Host.builder().id("bench-publisher").listen("tcp://127.0.0.1:0").build().start());
        try {
            Waits.await(host.join(address.toString()));
            checkInterests(host);
        } catch (Exception e) {
            Waits.close(List.of(host));
            throw e;
        }
        byte[] payload = Contender.payload(size);
        return new StreamSender() {
            private long deliveries;

            /** Always true: a full send queue holds the publisher back on publishAsync's future instead. */
            @Override
            public boolean trySend() throws IOException {
                CompletableFuture<Void> taken = host.publishAsync(SUBJECT,
                        Message.ofBytes(Headers.EMPTY, ContentType.BYTES, payload));
                deliveries += subscribers;
                if (!taken.isDone()) {
                    try {
                        taken.get();
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                        throw new IOException("interrupted while held back", e);
                    } catch (ExecutionException e) {
                        throw new IOException("publish failed: " + e.getCause(), e.getCause());
                    }
                }
                return true;
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
                long refused = host.metrics().get("publishesRefused");
                if (refused > 0) {
                    w.add(String.format("%s: %,d publishes were refused by a host, which should not happen to a "
                            + "publisher that waits on publishAsync", name(), refused));
                }
                return w;
            }

            @Override
            public void close() throws IOException {
                Waits.close(List.of(host));
            }
        };
    }

    /**
     * A join completes once the members' subscriptions are known; this checks it did, within a bound, and says so on
     * stderr when the interests came only after the join had completed.
     */
    private void checkInterests(Host host) throws Exception {
        long deadline = System.nanoTime() + Waits.LIFECYCLE.toNanos();
        boolean waited = false;
        while (host.members().size() < subscribers || host.metrics().get("remoteInterests") < subscribers) {
            if (System.nanoTime() > deadline) {
                throw new TimeoutException(name() + ": " + Waits.LIFECYCLE.toSeconds() + " s after joining, the "
                        + "publisher knows " + host.members() + " with " + host.metrics().get("remoteInterests")
                        + " interests; expected " + subscribers + " of each");
            }
            waited = true;
            Thread.sleep(10);
        }
        if (waited) {
            System.err.println(name() + ": the join completed before all " + subscribers + " subscriber hosts and "
                    + "their interests were known");
        }
    }
}

package io.meshbus.bench;

import io.meshbus.bus.Host;
import io.meshbus.codec.ContentType;
import io.meshbus.message.Headers;
import io.meshbus.message.Message;
import io.meshbus.node.NodeMetrics;
import java.io.IOException;
import java.net.URI;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeoutException;

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
                            name(), refusedPublishes));
                }
                if (lostDeliveries > 0) {
                    w.add(String.format("%s: %,d deliveries lost: a full send queue refused a publish other hosts "
                            + "took, which publish does not report", name(), lostDeliveries));
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

package io.meshbus.bus.protocol;

import io.meshbus.bus.HostOptions;
import io.meshbus.message.Message;
import io.meshbus.node.SendStatus;
import java.time.Duration;
import java.util.Collection;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executor;

/**
 * A host as one room sees it, without a host: a fake clock, inline executor, and a carrier that records what was sent
 * (every host linked, every keep granted).
 */
public final class FakeBusContext implements BusContext {
    /** One message the room handed to the carrier. */
    public record Sent(String host, Message message) {
    }

    public final FakeClock clock = new FakeClock();
    public final BusMetrics metrics = new BusMetrics();
    public final List<Sent> sent = new CopyOnWriteArrayList<>();
    private final String id;
    private final HostOptions options;
    private final HostCarrier carrier = new HostCarrier() {
        @Override
        public SendStatus send(String host, Message m) {
            sent.add(new Sent(host, m));
            return SendStatus.SENT;
        }

        @Override
        public int send(Collection<String> hosts, Message m, Collection<String> backPressured) {
            hosts.forEach(h -> sent.add(new Sent(h, m)));
            return hosts.size();
        }

        @Override
        public CompletableFuture<Void> whenWritable(String host) {
            return CompletableFuture.completedFuture(null);
        }

        @Override
        public boolean isLinked(String host) {
            return true;
        }

        @Override
        public boolean keep(String host, boolean keep) {
            return true;
        }

        @Override
        public void drop(String host) {
        }
    };

    public FakeBusContext(String id) {
        this.id = id;
        this.options = HostOptions.builder().id(id).requestTimeout(Duration.ofSeconds(5)).options();
    }

    /** The hosts sent to, in order. */
    public List<String> sentTo() {
        return sent.stream().map(Sent::host).toList();
    }

    @Override
    public String id() {
        return id;
    }

    @Override
    public long incarnation() {
        return 1;
    }

    @Override
    public HostOptions options() {
        return options;
    }

    @Override
    public Executor executor() {
        return Runnable::run;
    }

    @Override
    public HostCarrier carrier() {
        return carrier;
    }

    @Override
    public BusClock clock() {
        return clock;
    }

    @Override
    public BusMetrics metrics() {
        return metrics;
    }

    @Override
    public boolean isClosed() {
        return false;
    }
}

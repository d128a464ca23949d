package io.meshbus.bus.carrier;

import io.meshbus.bus.Backplane;

import io.meshbus.message.Message;
import io.meshbus.node.NodeListener;

import java.util.Queue;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.Executor;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.LongAdder;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Turns a backplane's events into what a host gets from its node: the same link events and messages, serial per
 * remote host on the host's executor (broker client threads never run host code), and a batch end when a remote's
 * lane runs dry so acknowledgements go out together as they do on a direct link.
 *
 * <p>Each lane is bounded: past {@link #LANE_LIMIT} waiting messages from one host, further messages are dropped and
 * counted ({@code backplaneDropped}); a broker cannot be told to stop, so this is the documented price of a stuck
 * executor. Host events are never dropped.
 */
final class BackplaneLinks implements Backplane.Events {
    private static final Logger LOG = LoggerFactory.getLogger(BackplaneLinks.class);
    static final int LANE_LIMIT = 65_536;
    private static final int RUN_LIMIT = 256;

    private final String self;
    private final LinkEvents host;
    private final Executor executor;
    private final ConcurrentHashMap<String, Lane> lanes = new ConcurrentHashMap<>();
    private final ConcurrentHashMap<String, Long> incarnations = new ConcurrentHashMap<>();
    final LongAdder dropped = new LongAdder();

    BackplaneLinks(String hostId, LinkEvents host, Executor executor) {
        this.self = hostId;
        this.host = host;
        this.executor = executor;
    }

    @Override
    public void onMessage(String fromHost, Message message) {
        Lane lane = lane(fromHost);
        if (full(lane, fromHost)) {
            return;
        }
        lane.add(() -> host.onMessage(fromHost, message));
    }

    private boolean full(Lane lane, String fromHost) {
        if (lane.size.get() < LANE_LIMIT) {
            return false;
        }
        dropped.increment();
        if (lane.warned.compareAndSet(false, true)) {
            LOG.warn("host {}: more than {} messages from host {} wait for the executor; dropping (counted)",
                    self, LANE_LIMIT, fromHost);
        }
        return true;
    }

    @Override
    public void onPublish(String fromHost, String pattern, Message message) {
        if (fromHost.equals(self)) {
            return; // delivered locally when it was published
        }
        Lane lane = lane(fromHost);
        if (full(lane, fromHost)) {
            return;
        }
        lane.add(() -> host.onPublish(fromHost, pattern, message));
    }

    @Override
    public void onGroupPublish(String fromHost, String pattern, String group, Message message) {
        Lane lane = lane(fromHost);
        if (full(lane, fromHost)) {
            return;
        }
        lane.add(() -> host.onGroupPublish(fromHost, pattern, group, message));
    }

    @Override
    public void onHostUp(String hostId, long incarnation) {
        Long before = incarnations.put(hostId, incarnation);
        if (before != null && before == incarnation) {
            return;
        }
        boolean restarted = before != null;
        lane(hostId).add(() -> host.onLinkUp(new NodeListener.ConnectEvent(hostId, incarnation, null, false,
                restarted)));
    }

    @Override
    public void onHostDown(String hostId, String why) {
        if (incarnations.remove(hostId) == null) {
            return;
        }
        lane(hostId).add(() -> host.onLinkDown(new NodeListener.DisconnectEvent(hostId,
                new IllegalStateException(why), false)));
    }

    @Override
    public void onBrokerReset() {
        executor.execute(host::onBrokerReset);
    }

    /** The hosts reported alive and not since reported down. */
    java.util.Set<String> alive() {
        return incarnations.keySet();
    }

    private Lane lane(String hostId) {
        return lanes.computeIfAbsent(hostId, Lane::new);
    }

    /** One remote host's events in order; ends each run that emptied it with a batch end. */
    private final class Lane implements Runnable {
        final String from;
        final Queue<Runnable> tasks = new ConcurrentLinkedQueue<>();
        final AtomicInteger size = new AtomicInteger();
        final AtomicBoolean scheduled = new AtomicBoolean();
        final AtomicBoolean warned = new AtomicBoolean();

        Lane(String from) {
            this.from = from;
        }

        void add(Runnable task) {
            tasks.add(task);
            size.incrementAndGet();
            if (scheduled.compareAndSet(false, true)) {
                executor.execute(this);
            }
        }

        @Override
        public void run() {
            for (int i = 0; i < RUN_LIMIT; i++) {
                Runnable r = tasks.poll();
                if (r == null) {
                    break;
                }
                size.decrementAndGet();
                try {
                    r.run();
                } catch (RuntimeException e) {
                    LOG.error("host {}: handling a message from host {} failed", self, from, e);
                }
            }
            if (tasks.isEmpty()) {
                warned.set(false);
                host.onBatchEnd(from);
            }
            scheduled.set(false);
            if (!tasks.isEmpty() && scheduled.compareAndSet(false, true)) {
                executor.execute(this);
            }
        }
    }
}

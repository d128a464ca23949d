package io.meshbus.bus;

import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Which hosts of a backplane are alive, judged by when each was last heard of: a host silent for longer than the
 * liveness timeout is reported down. While the broker itself is unreachable nobody can be judged, so
 * {@link #brokerAway()} restarts every clock. Shared by the backplanes so they judge alike.
 */
public final class HostLiveness {
    private final String self;
    private final long timeoutNanos;
    private final Backplane.Events events;
    private final ConcurrentHashMap<String, Long> lastSeen = new ConcurrentHashMap<>();
    private final ConcurrentHashMap<String, Long> incarnations = new ConcurrentHashMap<>();

    public HostLiveness(String self, Duration timeout, Backplane.Events events) {
        this.self = self;
        this.timeoutNanos = timeout.toNanos();
        this.events = events;
    }

    /** The host announced itself (a heartbeat, a liveness key, an arrival). */
    public void seen(String hostId, long incarnation) {
        if (!hostId.equals(self)) {
            lastSeen.put(hostId, System.nanoTime());
            incarnations.put(hostId, incarnation);
            events.onHostUp(hostId, incarnation);
        }
    }

    /**
     * A host sent a message before its announcement reached this one: it can be answered at once, and is judged by
     * the coming announcements like any other.
     */
    public void heard(String hostId) {
        lastSeen.putIfAbsent(hostId, System.nanoTime());
    }

    /** The host said goodbye. */
    public void left(String hostId) {
        if (lastSeen.remove(hostId) != null) {
            incarnations.remove(hostId);
            events.onHostDown(hostId, "host " + hostId + " left");
        }
    }

    /** The broker says the host is gone (NATS: nobody reads its inbox), ahead of its liveness timeout. */
    public void gone(String hostId, String why) {
        if (lastSeen.remove(hostId) != null) {
            incarnations.remove(hostId);
            events.onHostDown(hostId, why);
        }
    }

    /** Reports down every host not heard of within the timeout. */
    public void sweep() {
        long now = System.nanoTime();
        for (Map.Entry<String, Long> s : lastSeen.entrySet()) {
            if (now - s.getValue() > timeoutNanos && lastSeen.remove(s.getKey(), s.getValue())) {
                incarnations.remove(s.getKey());
                events.onHostDown(s.getKey(), "host " + s.getKey() + " silent for longer than the liveness timeout");
            }
        }
    }

    public void brokerAway() {
        long now = System.nanoTime();
        lastSeen.replaceAll((k, v) -> now);
    }

    /** The incarnation a live host announced, or null. */
    public Long incarnation(String hostId) {
        return incarnations.get(hostId);
    }

    /** How long ago (nanoseconds) the host was last heard of, or -1 when it is not alive. */
    public long silentFor(String hostId) {
        Long at = lastSeen.get(hostId);
        return at == null ? -1 : System.nanoTime() - at;
    }

    public boolean isAlive(String hostId) {
        return lastSeen.containsKey(hostId);
    }
}

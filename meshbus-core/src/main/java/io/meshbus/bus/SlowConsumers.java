package io.meshbus.bus;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.Consumer;
import java.util.function.Supplier;

/**
 * A host's side of its consumer queues: their counters, and the pauses they hold on remote hosts. Several queues may
 * hold a pause on one remote host at once; its link is paused by the first and resumed by the last to let go.
 */
final class SlowConsumers {
    /** Stops and resumes reading from a remote host; {@link #canPause()} is false where that is impossible. */
    interface Pauser {
        boolean canPause();

        void pause(String remoteHost);

        void resume(String remoteHost);
    }

    private final Supplier<String> hostId;
    private final Pauser pauser;
    /** Queues holding a pause, per remote host; changed under the map's lock so pause and resume keep their order. */
    private final ConcurrentHashMap<String, Integer> holds = new ConcurrentHashMap<>();
    final LongAdder dropped = new LongAdder();
    final LongAdder refused = new LongAdder();
    final LongAdder failed = new LongAdder();
    final LongAdder pauses = new LongAdder();
    /** Told each remote host whose link gets paused: a pause has no other event a test could wait for. */
    private volatile Consumer<String> pauseWatcher;

    SlowConsumers(Supplier<String> hostId, Pauser pauser) {
        this.hostId = hostId;
        this.pauser = pauser;
    }

    /** For a host: the links of its carrier, where they can be paused. */
    static SlowConsumers of(String hostId, io.meshbus.bus.carrier.Carrier carrier) {
        return new SlowConsumers(() -> hostId, new Pauser() {
            @Override
            public boolean canPause() {
                return carrier.canPause();
            }

            @Override
            public void pause(String remoteHost) {
                carrier.pause(remoteHost);
            }

            @Override
            public void resume(String remoteHost) {
                carrier.resume(remoteHost);
            }
        });
    }

    String host() {
        return hostId.get();
    }

    boolean canPause() {
        return pauser.canPause();
    }

    void hold(String remoteHost) {
        holds.compute(remoteHost, (h, n) -> {
            if (n == null) {
                pauses.increment();
                pauser.pause(h);
                Consumer<String> w = pauseWatcher;
                if (w != null) {
                    w.accept(h);
                }
                return 1;
            }
            return n + 1;
        });
    }

    void release(String remoteHost) {
        holds.computeIfPresent(remoteHost, (h, n) -> {
            if (n == 1) {
                pauser.resume(h);
                return null;
            }
            return n - 1;
        });
    }

    void watchPauses(Consumer<String> watcher) {
        pauseWatcher = watcher;
    }

    /** Remote hosts paused now, for tests and diagnostics. */
    int held() {
        return holds.size();
    }

    void metrics(Map<String, Long> into) {
        into.put("slowConsumerDropped", dropped.sum());
        into.put("slowConsumerRefused", refused.sum());
        into.put("slowConsumersFailed", failed.sum());
        into.put("inboundPauses", pauses.sum());
    }
}

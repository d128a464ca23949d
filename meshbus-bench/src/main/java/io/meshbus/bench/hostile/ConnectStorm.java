package io.meshbus.bench.hostile;

import java.net.Socket;
import java.net.URI;
import java.time.Duration;

/**
 * Connections opened and closed at once, as fast as a few threads can, to the tcp and the ws listener in turn; every
 * third is reset (linger 0) rather than closed. Nothing is sent: what is measured is what the host keeps of a
 * connection that never said anything.
 */
final class ConnectStorm implements Attack {
    private static final int THREADS = 4;
    private static final Duration BOUND = Duration.ofSeconds(120);

    private final int count;

    ConnectStorm(int count) {
        this.count = count;
    }

    @Override
    public String name() {
        return "connect-storm";
    }

    @Override
    public Outcome run(Target target) throws Exception {
        int failed = Sockets.inParallel(count, THREADS, BOUND, i -> {
            URI at = i % 2 == 0 ? target.tcp() : target.ws();
            try (Socket s = Sockets.open(at)) {
                if (i % 3 == 0) {
                    s.setSoLinger(true, 0);
                }
            }
        });
        return new Outcome().seen("connections", count - failed, "connections").connectsFailed(failed, count);
    }
}

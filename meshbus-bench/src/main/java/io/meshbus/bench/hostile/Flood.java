package io.meshbus.bench.hostile;

import io.meshbus.bench.ChildProcess;
import java.time.Duration;
import java.util.List;

/**
 * Clients in a row that each flood the echo peer with 1 KiB messages for a while, never reading the echoes
 * ({@link Flooder}, one JVM each), then vanish: killed with SIGKILL, no goodbye, their link left to the host's
 * timeouts. The replies the host queued for a client that is gone must not add up: the memory budget sheds the queues
 * of remotes that are down first. The give-up time releases the last one, but a host gives a remote up only after its
 * {@code reconnectTimeout} (5 min), far past this attack's recovery: its heap after stays up by what that queue holds,
 * at most the budget.
 */
final class Flood implements Attack {
    private static final Duration STARTUP = Duration.ofSeconds(60);

    private final int flooders;
    private final Duration each;

    Flood(int flooders, Duration each) {
        this.flooders = flooders;
        this.each = each;
    }

    @Override
    public String name() {
        return "flood-and-vanish";
    }

    @Override
    public Outcome run(Target target) throws Exception {
        Outcome outcome = new Outcome();
        int started = 0;
        for (int i = 0; i < flooders; i++) {
            Duration lifetime = STARTUP.plus(each).plusSeconds(30);
            try (ChildProcess f = ChildProcess.start("flooder-" + i, ChildProcess.JVM_OPTIONS, Flooder.class,
                    List.of(target.tcp().toString(), Long.toString(lifetime.toSeconds())))) {
                f.await("FLOODING", STARTUP);
                started++;
                // The attack's length, not a wait for something: the client floods for this long, then dies.
                Thread.sleep(each.toMillis());
                f.kill();
            }
        }
        return outcome.seen("flooders", started, "clients");
    }
}

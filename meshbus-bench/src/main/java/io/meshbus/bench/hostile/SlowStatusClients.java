package io.meshbus.bench.hostile;

import java.nio.charset.StandardCharsets;
import java.time.Duration;

/**
 * Clients of the status page that send the request line and one header of {@code GET /health}, then nothing, all held
 * at once. The host must close each at its request deadline (or at accept, past its connection cap) without help;
 * the attack waits at most {@link #BOUND}, then closes what is left itself.
 */
final class SlowStatusClients implements Attack {
    /** The status server's request deadline (5 s) and a margin. */
    static final Duration BOUND = Duration.ofSeconds(20);
    private static final byte[] HALF = "GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\n"
            .getBytes(StandardCharsets.US_ASCII);

    private final int count;

    SlowStatusClients(int count) {
        this.count = count;
    }

    @Override
    public String name() {
        return "slow-status";
    }

    @Override
    public Outcome run(Target target) {
        return Held.untilClosedByHost(target.status(), count, i -> HALF, BOUND);
    }
}

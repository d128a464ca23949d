package io.meshbus.bench.hostile;

import io.meshbus.transport.WsTransport;
import java.nio.charset.StandardCharsets;
import java.time.Duration;

/**
 * Connections to the ws listener that never upgrade, all held at once: every other one sends nothing, the others the
 * request line and one header of an upgrade, then nothing. The host must close each at its upgrade deadline (or at
 * accept, past its cap of connections still upgrading) without help: the attack only waits, at most the deadline and
 * {@link #GRACE}, then closes what is left itself.
 */
final class SilentUpgrades implements Attack {
    static final Duration GRACE = Duration.ofSeconds(15);
    private static final byte[] HALF = "GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n".getBytes(StandardCharsets.US_ASCII);

    private final int each;

    /** @param each silent connections, and as many half-sent upgrades */
    SilentUpgrades(int each) {
        this.each = each;
    }

    @Override
    public String name() {
        return "silent-ws";
    }

    @Override
    public Outcome run(Target target) {
        return Held.untilClosedByHost(target.ws(), 2 * each, i -> i % 2 == 1 ? HALF : null,
                WsTransport.UPGRADE_TIMEOUT.plus(GRACE));
    }
}

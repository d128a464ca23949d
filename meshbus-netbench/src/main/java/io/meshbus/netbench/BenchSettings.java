package io.meshbus.netbench;

/**
 * The timing settings every host of a run shares, in milliseconds. Keepalive: a PING after {@code heartbeatMs}
 * without a write, a link dead after {@code idleMs} without a read. Re-dial after {@code reconnectDelayMs}, doubling
 * to {@code reconnectMaxMs}; a member is given up after {@code giveUpMs} without a link. Confirmed sends,
 * at-least-once sends and requests wait {@code timeoutMs}. Each host sends a round of traffic every {@code tickMs}.
 */
public record BenchSettings(long heartbeatMs, long idleMs, long reconnectDelayMs, long reconnectMaxMs, long giveUpMs,
                            long timeoutMs, long tickMs) {

    public BenchSettings withKeepalive(long heartbeat, long idle) {
        return new BenchSettings(heartbeat, idle, reconnectDelayMs, reconnectMaxMs, giveUpMs, timeoutMs, tickMs);
    }

    public BenchSettings withTimeout(long timeout) {
        return new BenchSettings(heartbeatMs, idleMs, reconnectDelayMs, reconnectMaxMs, giveUpMs, timeout, tickMs);
    }

    public BenchSettings withGiveUp(long giveUp) {
        return new BenchSettings(heartbeatMs, idleMs, reconnectDelayMs, reconnectMaxMs, giveUp, timeoutMs, tickMs);
    }
}

package io.meshbus.js;

/**
 * A connection's rate limit: a bucket of {@code rate} tokens, refilled continuously at {@code rate} per second, one
 * token per frame; bursts up to {@code rate} frames pass, a sustained flood above the rate does not.
 *
 * <p>Threads: one connection's event loop only (no lock, no allocation per frame).
 */
final class TokenBucket {
    private final int rate;
    private double tokens;
    private long refilled;

    /** A full bucket at {@code now} (nanoseconds, as {@link System#nanoTime()}). */
    TokenBucket(int rate, long now) {
        this.rate = rate;
        this.tokens = rate;
        this.refilled = now;
    }

    /** Takes a token for a frame arriving at {@code now}; false when the bucket is empty. */
    boolean take(long now) {
        tokens = Math.min(rate, tokens + (now - refilled) * rate / 1e9);
        refilled = now;
        if (tokens < 1) {
            return false;
        }
        tokens -= 1;
        return true;
    }
}

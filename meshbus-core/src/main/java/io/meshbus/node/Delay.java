package io.meshbus.node;

import java.time.Duration;
import java.util.Objects;
import java.util.concurrent.ThreadLocalRandom;

/**
 * How long to wait before reconnect attempt number {@code attempt} (1 for the first). Pluggable in the manner of
 * Lettuce's {@code Delay}; implementations must be thread-safe.
 */
@FunctionalInterface
public interface Delay {
    Duration delay(int attempt);

    /** The same delay every time. */
    static Delay constant(Duration delay) {
        Objects.requireNonNull(delay, "delay");
        return attempt -> delay;
    }

    /**
     * {@code base * multiplier^(attempt-1)}, capped at {@code max}: a real backoff, growing (distribus divided by its
     * "decay" and retried ever faster).
     */
    static Delay exponential(Duration base, Duration max, double multiplier) {
        checkExponential(base, max, multiplier);
        return attempt -> exponentialNanos(base, max, multiplier, attempt);
    }

    /**
     * Exponential with "equal jitter": half the exponential delay plus a random part up to the other half, so hosts
     * that lost the same peer do not all re-dial in the same instant. The default reconnect delay.
     */
    static Delay exponentialWithJitter(Duration base, Duration max, double multiplier) {
        checkExponential(base, max, multiplier);
        return attempt -> {
            long n = exponentialNanos(base, max, multiplier, attempt).toNanos();
            long half = n / 2;
            return Duration.ofNanos(half + ThreadLocalRandom.current().nextLong(half + 1));
        };
    }

    private static Duration exponentialNanos(Duration base, Duration max, double multiplier, int attempt) {
        double n = base.toNanos() * Math.pow(multiplier, Math.max(0, attempt - 1));
        return n >= max.toNanos() ? max : Duration.ofNanos((long) n);
    }

    private static void checkExponential(Duration base, Duration max, double multiplier) {
        if (base.isNegative() || base.isZero()) {
            throw new IllegalArgumentException("base: must be positive, was " + base);
        }
        if (max.compareTo(base) < 0) {
            throw new IllegalArgumentException("max: must be at least base (" + base + "), was " + max);
        }
        if (!(multiplier >= 1.0)) {
            throw new IllegalArgumentException(
                    "multiplier: must be at least 1 (a delay that shrinks is a busy loop), was " + multiplier);
        }
    }
}

package io.meshbus.js;

import java.util.Locale;
import java.util.Map;
import java.util.concurrent.atomic.LongAdder;

/**
 * A browser gateway's counters, each under the name {@link BrowserGateway#metrics()} gives it (the constant's name in
 * lower camel case: {@code AUTH_FAILURES} is {@code authFailures}).
 *
 * <p>Threads: any thread; each counter is a {@link LongAdder}.
 */
final class GatewayMetrics {
    /** What is counted; see {@link BrowserGateway#metrics()}. */
    enum Counter {
        ACCEPTED, REFUSED, AUTH_FAILURES, ORIGIN_REJECTED, TOO_LARGE, RATE_LIMITED, SUBSCRIPTION_LIMIT, SLOW_CONSUMERS,
        PROTOCOL_ERRORS, FRAMES_IN, FRAMES_OUT, DROPPED, UPGRADE_TIMEOUTS;

        /** The metric's name. */
        String key() {
            StringBuilder b = new StringBuilder();
            for (String word : name().toLowerCase(Locale.ROOT).split("_")) {
                b.append(b.length() == 0 ? word : Character.toUpperCase(word.charAt(0)) + word.substring(1));
            }
            return b.toString();
        }
    }

    private final LongAdder[] counts = new LongAdder[Counter.values().length];

    GatewayMetrics() {
        for (int i = 0; i < counts.length; i++) {
            counts[i] = new LongAdder();
        }
    }

    void count(Counter c) {
        counts[c.ordinal()].increment();
    }

    /** The adder behind a counter, for handlers that count by themselves (the upgrade deadline). */
    LongAdder adder(Counter c) {
        return counts[c.ordinal()];
    }

    long get(Counter c) {
        return counts[c.ordinal()].sum();
    }

    /** Every counter, in the order of {@link Counter}. */
    void putAll(Map<String, Long> into) {
        for (Counter c : Counter.values()) {
            into.put(c.key(), get(c));
        }
    }
}

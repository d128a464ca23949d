package io.meshbus.bench.backplane;

import java.util.Locale;
import java.util.concurrent.ThreadLocalRandom;

/** A broker of the backplane scenarios, where to find it, and the plain client that is its baseline. */
enum Broker {
    REDIS("MESHBUS_REDIS_URI", "redis://127.0.0.1:6379", "lettuce"),
    NATS("MESHBUS_NATS_URI", "nats://127.0.0.1:4222", "jnats");

    final String env;
    final String fallback;
    /** The baseline's name in the figures' warnings and the progress lines. */
    final String client;

    Broker(String env, String fallback, String client) {
        this.env = env;
        this.fallback = fallback;
        this.client = client;
    }

    String label() {
        return name().toLowerCase(Locale.ROOT);
    }

    String uri() {
        String u = System.getenv(env);
        return u == null || u.isBlank() ? fallback : u.strip();
    }

    /** Names unique to one run, so nothing left on a shared broker (or another run at the same time) is seen. */
    static String namespace() {
        return "mbbench-" + Long.toString(System.currentTimeMillis(), 36) + "-"
                + Long.toString(ThreadLocalRandom.current().nextLong() & Long.MAX_VALUE, 36);
    }
}

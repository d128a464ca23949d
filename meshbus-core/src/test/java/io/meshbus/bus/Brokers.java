package io.meshbus.bus;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import org.junit.jupiter.api.Assertions;
import org.junit.jupiter.api.Assumptions;

/**
 * Where the broker tests find their servers: {@code MESHBUS_REDIS_URI} / {@code MESHBUS_NATS_URI}, by default the
 * local ones. Without a reachable server a test is skipped with the reason, unless {@code MESHBUS_REQUIRE_BROKERS=1}
 * (as in CI), where that is a failure.
 */
public final class Brokers {
    private Brokers() {
    }

    public static String redis() {
        return reachable("MESHBUS_REDIS_URI", "redis://127.0.0.1:6379", "redis-server");
    }

    public static String nats() {
        return reachable("MESHBUS_NATS_URI", "nats://127.0.0.1:4222", "nats-server");
    }

    private static String reachable(String env, String fallback, String what) {
        String uri = System.getenv(env) == null || System.getenv(env).isBlank() ? fallback : System.getenv(env);
        URI u = URI.create(uri);
        try (Socket s = new Socket()) {
            s.connect(new InetSocketAddress(u.getHost(), u.getPort()), 2000);
            return uri;
        } catch (IOException e) {
            String why = what + " is not reachable at " + uri + " (" + e.getMessage() + "); set " + env
                    + " or start it (see the README, section Install)";
            if ("1".equals(System.getenv("MESHBUS_REQUIRE_BROKERS"))) {
                Assertions.fail(why + "; MESHBUS_REQUIRE_BROKERS=1 makes this a failure");
            }
            Assumptions.abort(why + "; skipped");
            return uri;
        }
    }
}

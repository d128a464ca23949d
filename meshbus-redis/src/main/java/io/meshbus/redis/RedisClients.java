package io.meshbus.redis;

import io.lettuce.core.ClientOptions;
import io.lettuce.core.RedisClient;
import io.lettuce.core.RedisURI;
import io.lettuce.core.resource.ClientResources;
import java.time.Duration;
import java.util.Objects;

/**
 * How this module makes its Lettuce clients: the two settings the backplane and the distro transport share (a
 * command timeout, a bound on commands in flight), written once in {@link Settings}, and the client options both use.
 *
 * <p>Threads: a builder's settings belong to the thread that builds; {@link #create} may be called from any thread.
 */
final class RedisClients {
    private RedisClients() {
    }

    /**
     * A client that reconnects by itself and, while Redis is unreachable, rejects commands at once instead of queueing
     * them. Its request queue holds {@code requestQueue} commands: above the caller's {@link InFlight} bound.
     *
     * @param resources shared event loops, or null for the client's own
     */
    static RedisClient create(ClientResources resources, RedisURI uri, int requestQueue) {
        RedisClient c = resources == null ? RedisClient.create(uri) : RedisClient.create(resources, uri);
        c.setOptions(ClientOptions.builder()
                .autoReconnect(true)
                .disconnectedBehavior(ClientOptions.DisconnectedBehavior.REJECT_COMMANDS)
                .requestQueueSize(requestQueue)
                .build());
        return c;
    }

    /**
     * The shared settings of a builder: {@link RedisDistroTransport.Builder} is one, {@link RedisBackplane.Builder}
     * (whose base is the broker backplanes') holds a {@link Plain} one. Defaults: 5 s, 65,536.
     *
     * @param <B> the builder, for chaining
     */
    abstract static class Settings<B extends Settings<B>> {
        private Duration commandTimeout = Duration.ofSeconds(5);
        private int maxInFlight = 65_536;

        @SuppressWarnings("unchecked")
        private B self() {
            return (B) this;
        }

        /** How long a Redis command may take (default 5 s). */
        public B commandTimeout(Duration timeout) {
            this.commandTimeout = Objects.requireNonNull(timeout, "timeout");
            return self();
        }

        /** Commands not yet answered by Redis; past it a send is refused at once (default 65,536). */
        public B maxInFlight(int commands) {
            this.maxInFlight = commands;
            return self();
        }

        Duration commandTimeout() {
            return commandTimeout;
        }

        int maxInFlight() {
            return maxInFlight;
        }
    }

    /** Settings on their own, for a builder that cannot extend {@link Settings}. */
    static final class Plain extends Settings<Plain> {
    }
}

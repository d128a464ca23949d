package io.meshbus.cli;

import io.meshbus.bus.Backplane;
import io.meshbus.nats.NatsBackplane;
import io.meshbus.redis.RedisBackplane;
import java.net.URI;

/** {@code --backplane URI}: which broker a host runs over; the network id, when given, is its namespace there. */
final class Backplanes {
    private Backplanes() {
    }

    static Backplane of(String uri, String networkId) {
        String scheme = URI.create(uri).getScheme();
        String ns = networkId == null || networkId.isBlank() ? "meshbus" : networkId;
        if ("redis".equals(scheme) || "rediss".equals(scheme)) {
            return RedisBackplane.builder().uri(uri).namespace(ns).build();
        }
        if ("nats".equals(scheme) || "tls".equals(scheme)) {
            return NatsBackplane.builder().uri(uri).namespace(ns).build();
        }
        throw new IllegalArgumentException("--backplane: redis://, rediss://, nats:// or tls://, was " + uri);
    }
}

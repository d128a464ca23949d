package io.meshbus.redis;

import io.meshbus.bus.Brokers;
import io.meshbus.bus.BusContract;
import io.meshbus.bus.Host;
import io.meshbus.bus.HostOptions;
import java.time.Duration;

/** The bus contract, unchanged, on hosts that share a real Redis server instead of direct links. */
class RedisBusContractTest extends BusContract {
    private final String uri = Brokers.redis();

    @Override
    protected HostOptions.Builder builder(String id) {
        return Host.builder().id(id).backplane(RedisBackplane.builder().uri(uri).namespace(namespace)
                .heartbeat(Duration.ofMillis(200)).livenessTimeout(Duration.ofSeconds(1)).build());
    }
}

package io.meshbus.redis;

import io.meshbus.bus.Backplane;
import io.meshbus.bus.BrokerRestartContract;
import java.time.Duration;
import java.util.List;

/** A private redis-server, stopped and started again under two live hosts. */
class RedisRestartTest extends BrokerRestartContract {
    @Override
    protected List<String> serverCommand(int port) {
        return List.of("/usr/bin/redis-server", "--port", Integer.toString(port), "--bind", "127.0.0.1",
                "--save", "", "--appendonly", "no");
    }

    @Override
    protected Backplane backplane(int port, String namespace) {
        return RedisBackplane.builder().uri("redis://127.0.0.1:" + port).namespace(namespace)
                .heartbeat(Duration.ofMillis(200)).livenessTimeout(Duration.ofSeconds(1))
                .commandTimeout(Duration.ofSeconds(2)).build();
    }
}

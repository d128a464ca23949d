package io.meshbus.nats;

import io.meshbus.bus.Backplane;
import io.meshbus.bus.BrokerRestartContract;
import java.time.Duration;
import java.util.List;

/** A private nats-server, stopped and started again under two live hosts. */
class NatsRestartTest extends BrokerRestartContract {
    @Override
    protected List<String> serverCommand(int port) {
        return List.of("/usr/sbin/nats-server", "-a", "127.0.0.1", "-p", Integer.toString(port));
    }

    @Override
    protected Backplane backplane(int port, String namespace) {
        return NatsBackplane.builder().uri("nats://127.0.0.1:" + port).namespace(namespace)
                .heartbeat(Duration.ofMillis(200)).livenessTimeout(Duration.ofSeconds(1))
                .reconnectWait(Duration.ofMillis(100)).build();
    }
}

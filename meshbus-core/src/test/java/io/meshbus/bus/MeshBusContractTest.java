package io.meshbus.bus;

import java.time.Duration;
import java.util.concurrent.TimeUnit;

/** The bus contract on a mesh of direct tcp links. */
class MeshBusContractTest extends BusContract {
    String listen() {
        return "tcp://127.0.0.1:0";
    }

    @Override
    protected HostOptions.Builder builder(String id) {
        return Host.builder().id(id).listen(listen()).reconnectDelay(Duration.ofMillis(50))
                .node(n -> n.heartbeatInterval(Duration.ofMillis(200)).idleTimeout(Duration.ofSeconds(2)));
    }

    @Override
    protected void connect(Host newcomer, Host member) {
        newcomer.join(member.info().toString()).orTimeout(20, TimeUnit.SECONDS).join();
    }
}

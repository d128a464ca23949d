package io.meshbus.cli;

import io.meshbus.bus.Host;
import io.meshbus.compat.DistribusGateway;
import java.util.concurrent.CompletableFuture;

/** The library's {@link DistribusGateway} for a host: Node distribus hosts join it, and it joins theirs. */
final class DistribusBridge implements Bridge {
    private final DistribusGateway gateway;

    private DistribusBridge(DistribusGateway gateway) {
        this.gateway = gateway;
    }

    /** Starts the gateway on the address ({@code distribus+ws://host:port}). */
    static CompletableFuture<DistribusBridge> start(Host host, String listen) {
        return DistribusGateway.builder(host).listen(listen).build().start().thenApply(DistribusBridge::new);
    }

    @Override
    public String describe() {
        return "distribus gateway at " + gateway.info();
    }

    @Override
    public CompletableFuture<Void> join(String address) {
        return gateway.join(address);
    }

    @Override
    public CompletableFuture<Void> close() {
        return gateway.close();
    }
}

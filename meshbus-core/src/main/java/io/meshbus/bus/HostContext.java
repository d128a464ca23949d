package io.meshbus.bus;

import io.meshbus.bus.protocol.BusClock;
import io.meshbus.bus.protocol.BusContext;
import io.meshbus.bus.protocol.BusMetrics;
import io.meshbus.bus.protocol.HostCarrier;
import java.util.concurrent.Executor;

/**
 * What a host's rooms see of it ({@link BusContext}): read through to the host at each call, since the rooms are built
 * while the host is, before all of its fields are set.
 */
final class HostContext implements BusContext {
    private final Host host;

    HostContext(Host host) {
        this.host = host;
    }

    @Override
    public String id() {
        return host.node().id();
    }

    @Override
    public long incarnation() {
        return host.node().incarnation();
    }

    @Override
    public HostOptions options() {
        return host.options();
    }

    @Override
    public Executor executor() {
        return host.executor();
    }

    @Override
    public HostCarrier carrier() {
        return host.carrier();
    }

    @Override
    public BusClock clock() {
        return host.clock();
    }

    @Override
    public BusMetrics metrics() {
        return host.counters();
    }

    @Override
    public boolean isClosed() {
        return host.isClosed();
    }
}

package io.meshbus.bus.protocol;

import io.meshbus.bus.HostOptions;
import java.util.concurrent.Executor;

/**
 * What a room of the bus may use of its host: never the host itself, so that each room can be built and tested
 * alone (the Lettuce {@code ConnectionFacade} idea: a narrow interface back up).
 *
 * <p>Threads: every method is safe from any thread.
 */
public interface BusContext {
    /** This host's id. */
    String id();

    /** This host's incarnation (its node's). */
    long incarnation();

    HostOptions options();

    /** Where listeners, callbacks and anything that may take time run: never an I/O thread. */
    Executor executor();

    HostCarrier carrier();

    BusClock clock();

    BusMetrics metrics();

    /** Whether the host has been closed (rooms stop starting new work). */
    boolean isClosed();
}

package io.meshbus.node;

import java.util.concurrent.Future;

/**
 * Runs a task once after a delay: the node's timer. A parameter rather than a static, so the rooms that wait (the
 * reconnector, the arbiter's wait for a duplicate) can be driven by a fake clock in their tests.
 */
@FunctionalInterface
interface Scheduler {
    Future<?> schedule(Runnable task, long delayNanos);
}

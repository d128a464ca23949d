package io.meshbus.node;

import java.util.concurrent.ForkJoinPool;

/**
 * The executor listeners run on when the application gives none: a FIFO work-stealing pool of daemon threads, at
 * least two so one slow listener cannot stall every other node in a small JVM.
 */
final class DefaultExecutor {
    private static final ForkJoinPool SHARED = new ForkJoinPool(
            Math.max(2, Runtime.getRuntime().availableProcessors()),
            pool -> {
                var t = ForkJoinPool.defaultForkJoinWorkerThreadFactory.newThread(pool);
                t.setName("meshbus-listener-" + t.getPoolIndex());
                t.setDaemon(true);
                return t;
            },
            null, true);

    private DefaultExecutor() {
    }

    static ForkJoinPool shared() {
        return SHARED;
    }
}

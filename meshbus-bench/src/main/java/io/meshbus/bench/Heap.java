package io.meshbus.bench;

import java.lang.management.ManagementFactory;
import java.lang.management.MemoryPoolMXBean;
import java.lang.management.MemoryType;
import java.lang.management.MemoryUsage;

/** The heap figures of the scenarios that measure memory (bus-scale, soak). */
public final class Heap {
    private Heap() {
    }

    /**
     * The heap in use after full collections, as the heap pools held it at the end of their last collection. Not the
     * heap's current usage: with the parallel collector that shows tens of MB in eden right after a full collection,
     * varying from call to call, which moved the figure by 50 bytes per peer between runs.
     */
    public static long usedAfterGc() {
        for (int i = 0; i < 3; i++) {
            System.gc();
        }
        long used = 0;
        for (MemoryPoolMXBean pool : ManagementFactory.getMemoryPoolMXBeans()) {
            MemoryUsage u = pool.getType() == MemoryType.HEAP ? pool.getCollectionUsage() : null;
            used += u == null ? 0 : u.getUsed();
        }
        return used;
    }
}

package io.meshbus.netbench;

import java.util.List;
import java.util.Map;

/**
 * What one fault of a run came to: how fast the dead links were seen, how fast membership converged after the heal,
 * what became of the traffic in every mode while it lasted, and each host's process before and after.
 *
 * @param holdMillis     how long the fault lasted
 * @param convergeMillis from the heal until every host listed every other as a member with its link up; -1 when
 *                       that did not happen within the bound
 */
public record FaultResult(Fault fault, String description, long holdMillis, Detection detection,
                          long convergeMillis, List<ModeFigures> modes, List<HostFigures> hosts) {

    /** The figures of one mode ({@link #CONFIRMED}, ...); fails when there is none. */
    public ModeFigures mode(String name) {
        return modes.stream().filter(m -> m.mode().equals(name)).findFirst()
                .orElseThrow(() -> new IllegalArgumentException("no mode " + name));
    }

    public static final String CONFIRMED = "confirmed";
    public static final String AT_LEAST_ONCE = "at-least-once";
    public static final String FORGET = "fire-and-forget";
    public static final String REQUESTS = "requests";
    public static final String PUBLISHES = "publishes";
    public static final String QUEUE_GROUP = "queue-group";

    /**
     * Which links were seen dead, of those the fault should kill: pairs (observer, target), each timed from the
     * injection to the observer's first link-down event for the target. After the injection, {@code moreDrops}
     * counts link-down events on the links the fault acts on beyond those (a rate cut that starves the keepalives,
     * a stopped host seeing its links gone once it runs again), {@code collateralDrops} those on every other link.
     */
    public record Detection(int expected, int detected, long minMillis, long maxMillis, int moreDrops,
                            int collateralDrops) {
        public boolean complete() {
            return detected == expected;
        }
    }

    /**
     * One mode's traffic in the fault's window, over every flow between the hosts.
     *
     * @param sent       messages sent (published, for publishes and the queue group)
     * @param delivered  confirmed, at least once, requests: futures completed (a request: answered); fire and
     *                   forget, publishes: deliveries the receivers counted; queue group: messages some member got
     * @param expected   deliveries there would be without loss (publishes: one per subscribed host), or -1
     * @param timedOut   futures failed with {@code RequestTimeoutException}
     * @param failed     other failures by exception type (fire and forget: refused sends by status); a type
     *                   starting {@code untyped:} is not a {@code MeshbusException}
     * @param hung       futures still not ended after the traffic stopped and the longest timeout passed
     * @param late       futures that ended, but more than 2 s after their timeout (not counted for a host that
     *                   was stopped: its clock ran on while it could not act)
     * @param lost       at least once: sent, not refused, not failed with the target unreachable, both hosts alive,
     *                   and never delivered; confirmed: completed but never delivered; -1 where no promise holds
     * @param duplicated deliveries of a message already delivered (queue group: to a second member too)
     * @param reordered  deliveries of a message after a later one of the same sender
     * @param excluded   flows left out of {@code lost} because their receiver died in the fault
     */
    public record ModeFigures(String mode, long sent, long delivered, long expected, long timedOut,
                              Map<String, Long> failed, long hung, long late, long lost, long duplicated,
                              long reordered, int excluded) {
        public long failedTotal() {
            return failed.values().stream().mapToLong(Long::longValue).sum();
        }

        /** Failures that are not a {@code MeshbusException}: none is promised. */
        public long untyped() {
            return failed.entrySet().stream().filter(e -> e.getKey().startsWith("untyped:"))
                    .mapToLong(Map.Entry::getValue).sum();
        }
    }

    /** A host's process before the fault and after its traffic drained (heap after a full GC). */
    public record HostFigures(String host, ProcessFigures before, ProcessFigures after) {
    }

    /** @param rssKb resident memory of the whole JVM, from {@code /proc}; -1 when unknown */
    public record ProcessFigures(long pid, long heapUsed, long heapMax, long threads, long fds, long rssKb) {
    }
}

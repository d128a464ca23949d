package io.meshbus.netbench;

import java.util.List;

/**
 * What one host JVM of the bench runs with, handed to {@link NetHostMain} as one JSON argument: its place in the
 * network, who to join, and the timing settings every host of a run shares.
 *
 * @param index       1-based: host {@code h<index>}, peer {@code p<index>}
 * @param incarnation 1 for the first start, one more for each restart; it names the host's traffic flows, so the
 *                    receivers tell a restarted sender's messages from the dead one's
 * @param hosts       how many hosts the network has (every other host's peer is a target)
 * @param listen      where it listens, an address of its own namespace
 * @param seeds       members to join through (none for the first host)
 */
record HostSpec(int index, int incarnation, int hosts, String listen, List<String> seeds, BenchSettings settings) {

    String hostId() {
        return hostId(index);
    }

    static String hostId(int index) {
        return "h" + index;
    }

    static String peerId(int index) {
        return "p" + index;
    }

    /** The sender part of this incarnation's flow names. */
    String sender() {
        return hostId() + "#" + incarnation;
    }

    HostSpec restarted() {
        return new HostSpec(index, incarnation + 1, hosts, listen, seeds, settings);
    }

    HostSpec withSeeds(List<String> newSeeds) {
        return new HostSpec(index, incarnation, hosts, listen, List.copyOf(newSeeds), settings);
    }
}

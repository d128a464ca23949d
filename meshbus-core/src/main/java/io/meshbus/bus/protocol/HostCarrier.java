package io.meshbus.bus.protocol;

import io.meshbus.message.Message;
import io.meshbus.node.SendStatus;
import java.util.Collection;
import java.util.concurrent.CompletableFuture;

/**
 * What carries bus messages between hosts: the node's links on a mesh, a broker under a backplane. The only code that
 * knows which is behind the implementations of this interface; every other room of the bus speaks through it.
 *
 * <p>Threads: any thread; implementations never block (a full queue answers {@link SendStatus#BACK_PRESSURED}).
 */
public interface HostCarrier {
    /** Sends to one host; the status says whether it was taken. */
    SendStatus send(String host, Message m);

    /** Sends the same message to several hosts, encoded once; the number of hosts that took it. */
    default int send(Collection<String> hosts, Message m) {
        return send(hosts, m, null);
    }

    /**
     * As {@link #send(Collection, Message)}, adding to {@code backPressured} (when not null) the hosts that refused it
     * for lack of room.
     */
    int send(Collection<String> hosts, Message m, Collection<String> backPressured);

    /**
     * Completes when a host that refused a message ({@link SendStatus#BACK_PRESSURED}) has room again: its link's
     * send queue drained to half. At once when it has room; fails when the host is given up or gone. A broker's
     * client buffers for itself, so there it is a short pause before the next try.
     */
    CompletableFuture<Void> whenWritable(String host);

    /** Whether a message to the host can leave now (its link is up, or its broker liveness is current). */
    boolean isLinked(String host);

    /**
     * Members keep each other's links (either side re-dials a broken one); false when there is no such link any more.
     * A broker keeps its connections itself: always true there.
     */
    boolean keep(String host, boolean keep);

    /** Closes the link to a host that was refused; nothing on a broker. */
    void drop(String host);
}

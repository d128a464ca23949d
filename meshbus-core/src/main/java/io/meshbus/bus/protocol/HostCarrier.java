package io.meshbus.bus.protocol;

import io.meshbus.message.Message;
import io.meshbus.node.SendStatus;
import java.util.Collection;

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
    int send(Collection<String> hosts, Message m);

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

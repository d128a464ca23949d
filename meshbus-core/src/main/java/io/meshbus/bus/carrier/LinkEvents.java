package io.meshbus.bus.carrier;

import io.meshbus.message.Message;
import io.meshbus.node.NodeListener;

/**
 * What a carrier reports to its host, alike on a mesh and on a broker: links up and down (with the remote's
 * incarnation: a restart is a new one), messages in order per remote host, and the end of each batch of them.
 *
 * <p>Threads: the host's executor, serially per remote host; never an I/O or broker client thread.
 */
public interface LinkEvents {
    void onMessage(String fromHost, Message m);

    /** A run of messages from one host ended: what was batched for it (acknowledgements) may leave now. */
    void onBatchEnd(String fromHost);

    void onLinkUp(NodeListener.ConnectEvent e);

    void onLinkDown(NodeListener.DisconnectEvent e);

    /** A broker delivered a publish for one of this host's patterns (native channels only). */
    void onPublish(String fromHost, String pattern, Message m);

    /** A broker gave this host a queue group's publish (native queue groups only). */
    void onGroupPublish(String fromHost, String pattern, String group, Message m);

    /** The broker lost the directory it held: register every local peer again. */
    void onBrokerReset();
}

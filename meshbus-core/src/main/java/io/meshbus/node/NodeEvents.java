package io.meshbus.node;

import io.meshbus.internal.SerialExecutor;
import io.meshbus.message.Message;
import java.net.URI;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.CopyOnWriteArrayList;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The node's listeners and everything handed to them: messages in batches, link events, listening addresses.
 * Listener code is user code: it runs only on the node's executor, through the remote's serial executor, so a
 * remote's messages and events reach listeners in the order they happened and never on an event loop. A failing
 * listener is counted and logged, and the others still run.
 *
 * <p>Threads: registration from any thread; delivery on the executor.
 */
final class NodeEvents {
    private static final Logger LOG = LoggerFactory.getLogger(NodeEvents.class);

    private final String nodeId;
    private final NodeMetrics metrics;
    private final List<NodeListener> nodeListeners = new CopyOnWriteArrayList<>();
    /** Copied on write; readers take the array as it is. */
    private volatile MessageListener[] messageListeners = new MessageListener[0]; // written under this
    /** Events that belong to no remote (listening), in order. */
    private final SerialExecutor ownEvents;

    NodeEvents(String nodeId, NodeMetrics metrics, SerialExecutor ownEvents) {
        this.nodeId = nodeId;
        this.metrics = metrics;
        this.ownEvents = ownEvents;
    }

    synchronized Registration onMessage(MessageListener listener) {
        Objects.requireNonNull(listener, "listener");
        List<MessageListener> l = new ArrayList<>(List.of(messageListeners));
        l.add(listener);
        messageListeners = l.toArray(new MessageListener[0]);
        return () -> {
            synchronized (NodeEvents.this) {
                List<MessageListener> c = new ArrayList<>(List.of(messageListeners));
                c.remove(listener);
                messageListeners = c.toArray(new MessageListener[0]);
            }
        };
    }

    Registration addListener(NodeListener listener) {
        nodeListeners.add(Objects.requireNonNull(listener, "listener"));
        return () -> nodeListeners.remove(listener);
    }

    void listening(URI address) {
        ownEvents.execute(() -> nodeListeners.forEach(l -> l.onListening(address)));
    }

    /** Posts a link event behind everything the remote delivered before it. */
    void connected(Remote r, NodeListener.ConnectEvent e) {
        r.inbound.execute(() -> nodeListeners.forEach(l -> l.onConnect(e)));
    }

    void disconnected(Remote r, NodeListener.DisconnectEvent e) {
        r.inbound.execute(() -> nodeListeners.forEach(l -> l.onDisconnect(e)));
    }

    /** Runs on the remote's serial executor: hands one read's messages to every listener, then tells the link. */
    void deliver(String from, List<Message> batch, LinkInbound link) {
        MessageListener[] ls = messageListeners;
        for (int i = 0, n = batch.size(); i < n; i++) {
            Message m = batch.get(i);
            for (MessageListener l : ls) {
                try {
                    l.onMessage(from, m);
                } catch (Throwable t) {
                    metrics.listenerErrors.increment();
                    LOG.warn("message listener of node {} failed on a message from {}", nodeId, from, t);
                }
            }
        }
        for (MessageListener l : ls) {
            try {
                l.onBatchEnd(from);
            } catch (Throwable t) {
                metrics.listenerErrors.increment();
                LOG.warn("message listener of node {} failed at the end of a batch from {}", nodeId, from, t);
            }
        }
        metrics.messagesReceived.add(batch.size());
        link.delivered(batch.size());
    }
}

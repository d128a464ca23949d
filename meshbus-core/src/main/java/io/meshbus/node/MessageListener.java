package io.meshbus.node;

import io.meshbus.message.Message;

/** Receives messages. Runs on the node's executor, never on an I/O thread, in order per sending node. */
@FunctionalInterface
public interface MessageListener {
    void onMessage(String from, Message message);

    /**
     * Called after the messages of one read from {@code from} were delivered, on the same thread: the place to flush
     * what the batch produced (confirmations, say) in one write instead of one per message.
     */
    default void onBatchEnd(String from) {
    }
}

package io.meshbus.node;

import io.meshbus.message.Message;

/** Receives messages. Runs on the node's executor, never on an I/O thread, in order per sending node. */
@FunctionalInterface
public interface MessageListener {
    void onMessage(String from, Message message);
}

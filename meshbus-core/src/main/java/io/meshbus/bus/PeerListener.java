package io.meshbus.bus;

import io.meshbus.message.Message;

/** Receives a peer's messages, one at a time and in order per sending peer, on the host's executor. */
@FunctionalInterface
public interface PeerListener {
    void onMessage(String from, Message message);
}

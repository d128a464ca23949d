package io.meshbus.bus.protocol;

import io.meshbus.message.Message;

/** Handles the bus ops of one family (those that start with one letter), from a member host. */
@FunctionalInterface
public interface OpHandler {
    void handle(String fromHost, Message m, String op);
}

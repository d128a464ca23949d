package io.meshbus.route;

import io.meshbus.message.Message;

/**
 * The answer to a routed request: its status, the reply message (its payload is what the handler returned; empty for
 * none), and for NOT_FOUND or ERROR the reason.
 */
public record Response(Status status, Message message, String error) {
    public boolean ok() {
        return status == Status.OK;
    }
}

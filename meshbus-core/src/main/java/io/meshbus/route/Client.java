package io.meshbus.route;

import io.meshbus.message.Message;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;

/** A client of the distro API: sends routed messages to one server. */
public interface Client {
    /** Sends without confirmation; completes when the message has left (or fails typed). */
    CompletableFuture<Void> send(Message m);

    /**
     * Sends and completes with the server's RECEIVED confirmation (distro sent these but never correlated them); its
     * payload is {@code {"msgId": "<id of m>"}}.
     */
    CompletableFuture<Message> sendConfirmed(Message m, Duration timeout);

    /** Sends a request; completes with the handler's response and its status. */
    CompletableFuture<Response> request(Message m, Duration timeout);

    CompletableFuture<Void> close();
}

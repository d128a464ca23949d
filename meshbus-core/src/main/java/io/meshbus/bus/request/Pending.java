package io.meshbus.bus.request;

import io.meshbus.message.Message;
import java.util.concurrent.CompletableFuture;

/**
 * One operation waiting for an answer from another host, filed under its sequence number in {@link PendingOps}.
 * Immutable but for the future it completes.
 */
public final class Pending {
    /** What the operation is: it names the failure when it times out. */
    public enum Kind {
        /** A confirmed send: completes with null when the target's host confirms it. */
        SEND,
        /** A request: completes with the reply. */
        REQUEST,
        /** A directory lookup: completes with the host id, or null. */
        LOOKUP,
        /** Any other control call between hosts (listing, subscriptions, resolvers). */
        CALL
    }

    private final Kind kind;
    private final CompletableFuture<Object> future;
    private final String host;
    private final String peerId;
    private final String from;
    private final long deadline;
    private final Retry retry;

    /**
     * A confirmed send that may be looked up again once when its location came from the cache and the host there says
     * the peer is not found.
     */
    public record Retry(String from, Message message) {
    }

    Pending(Kind kind, CompletableFuture<Object> future, String host, String peerId, String from, long deadline,
            Retry retry) {
        this.kind = kind;
        this.future = future;
        this.host = host;
        this.peerId = peerId;
        this.from = from;
        this.deadline = deadline;
        this.retry = retry;
    }

    public Kind kind() {
        return kind;
    }

    public CompletableFuture<Object> future() {
        return future;
    }

    /** The host the operation went to. */
    public String host() {
        return host;
    }

    /** The peer it is about, or null. */
    public String peerId() {
        return peerId;
    }

    /** The local peer that sent it (sends and requests), or null. */
    public String from() {
        return from;
    }

    /** Its deadline on the bus clock (nanoseconds). */
    public long deadline() {
        return deadline;
    }

    /** Set for a confirmed send to a cached location, else null. */
    public Retry retry() {
        return retry;
    }

    String timeoutText() {
        return switch (kind) {
            case SEND -> "no confirmation from peer " + peerId;
            case REQUEST -> "no reply from peer " + peerId;
            case LOOKUP -> "no answer from directory host " + host;
            case CALL -> "no answer from host " + host;
        };
    }
}

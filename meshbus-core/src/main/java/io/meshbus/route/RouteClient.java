package io.meshbus.route;

import io.meshbus.error.NoRespondersException;
import io.meshbus.error.RequestTimeoutException;
import io.meshbus.message.Headers;
import io.meshbus.message.Message;
import io.meshbus.node.Node;
import io.meshbus.node.NodeListener;
import io.meshbus.node.Registration;
import io.meshbus.node.SendStatus;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Sends routed messages to one server node over a node link, and matches confirmations and responses to them by
 * correlation id. A request fails fast with {@link NoRespondersException} when the server is not linked (nothing can
 * answer) or its link breaks while waiting, and with {@link RequestTimeoutException} only when it might still answer.
 */
public final class RouteClient implements AutoCloseable {
    private final Node node;
    private final String server;
    private final ConcurrentHashMap<String, CompletableFuture<Message>> pending = new ConcurrentHashMap<>();
    private final AtomicLong seq = new AtomicLong();
    private final String prefix = Long.toHexString(System.nanoTime()) + "-";
    private final Registration messages;
    private final Registration links;

    RouteClient(Node node, String server) {
        this.node = node;
        this.server = server;
        this.messages = node.onMessage((from, m) -> {
            if (from.equals(server) && Exchange.isAnswer(m)) {
                String corr = m.header(Headers.CORRELATION_ID);
                CompletableFuture<Message> f = corr == null ? null : pending.remove(corr);
                if (f != null) {
                    f.complete(m);
                }
            }
        });
        this.links = node.addListener(new NodeListener() {
            @Override
            public void onDisconnect(DisconnectEvent e) {
                if (e.id().equals(server)) {
                    pending.forEach((k, f) -> {
                        if (pending.remove(k, f)) {
                            f.completeExceptionally(new NoRespondersException("link to " + server + " lost: "
                                    + e.cause().getMessage()));
                        }
                    });
                }
            }
        });
    }

    /** Fire and forget. */
    public SendStatus send(Message m) {
        return node.send(server, m);
    }

    /** Sends and completes with the server's RECEIVED confirmation (its payload holds the original id). */
    public CompletableFuture<Message> sendConfirmed(Message m, Duration timeout) {
        return exchange(m, timeout, Exchange.CONFIRM, "1");
    }

    /** Sends a request and completes with the handler's response and status. */
    public CompletableFuture<Response> request(Message m, Duration timeout) {
        return exchange(m, timeout, Headers.REPLY_TO, node.id()).thenApply(Exchange::toResponse);
    }

    private CompletableFuture<Message> exchange(Message m, Duration timeout, String key, String value) {
        String corr = prefix + seq.incrementAndGet();
        CompletableFuture<Message> f = new CompletableFuture<>();
        pending.put(corr, f);
        SendStatus s = node.send(server, m.withHeaders(m.headers().withAll(Headers.CORRELATION_ID, corr, key,
                value)));
        if (s != SendStatus.SENT) {
            pending.remove(corr);
            f.completeExceptionally(new NoRespondersException("server " + server + " cannot answer now: " + s));
            return f;
        }
        return f.orTimeout(timeout.toMillis(), TimeUnit.MILLISECONDS).whenComplete((r, e) -> pending.remove(corr))
                .exceptionallyCompose(e -> {
                    Throwable cause = e instanceof java.util.concurrent.CompletionException && e.getCause() != null
                            ? e.getCause() : e;
                    return CompletableFuture.failedFuture(cause instanceof TimeoutException
                            ? new RequestTimeoutException("no answer from " + server + " within "
                            + timeout.toMillis() + " ms") : cause);
                });
    }

    /** Stops listening; requests still waiting fail at once with ClosedException rather than at their timeout. */
    @Override
    public void close() {
        messages.close();
        links.close();
        pending.forEach((k, f) -> {
            if (pending.remove(k, f)) {
                f.completeExceptionally(new io.meshbus.error.ClosedException("client closed"));
            }
        });
    }
}

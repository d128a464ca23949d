package io.meshbus.compat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.meshbus.bus.Host;
import io.meshbus.bus.Peer;
import io.meshbus.error.PeerNotFoundException;
import io.meshbus.error.PeerUnreachableException;
import io.meshbus.message.Message;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.LongAdder;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Peer addressing across a distribus gateway, both ways. The host's own peers are found at the gateway's url. A
 * Node-side peer gets a proxy {@link Peer} on the host, named after it: what Java peers send it leaves as a distribus
 * {@code send} to the host that has it, and a Node peer's {@code send} to a Java peer comes from its proxy, so the
 * Java peer answers with {@code peer.send(from, ...)}. Also distribus's address cache (peer id to the url of its
 * host), forgotten per host when that host is gone.
 *
 * <p>Threads: called from the host's executor (proxies' messages), the gateway's work thread (requests) and callers;
 * the maps are concurrent, and creating a proxy is synchronized so that one id gets one proxy.
 */
final class ProxyPeers {
    private static final Logger LOG = LoggerFactory.getLogger(ProxyPeers.class);

    private final Host host;
    private final String gatewayPeerId;
    private final DistribusLinks links;
    /** distribus's address cache: peer id to the url of the host that has it. */
    private final Map<String, String> addresses = new ConcurrentHashMap<>();
    /** The proxies on the host: peer id to the url of the host that has the Node peer ("" while unknown). */
    private final Map<String, String> proxies = new ConcurrentHashMap<>();
    private final LongAdder forwardFailures = new LongAdder();

    ProxyPeers(Host host, String gatewayPeerId, DistribusLinks links) {
        this.host = host;
        this.gatewayPeerId = gatewayPeerId;
        this.links = links;
    }

    /** A real peer of the host: neither a proxy nor the gateway's own peer. */
    boolean isLocal(String peerId) {
        return peerId != null && host.get(peerId) != null && !proxies.containsKey(peerId)
                && !peerId.equals(gatewayPeerId);
    }

    /** Java-to-Node sends that could not be delivered (the Java sender had already been confirmed). */
    long forwardFailures() {
        return forwardFailures.sum();
    }

    /** See {@link DistribusGateway#find}. */
    CompletableFuture<String> find(String peerId) {
        if (isLocal(peerId)) {
            return CompletableFuture.completedFuture(links.url());
        }
        String cached = addresses.get(peerId);
        if (cached != null) {
            return CompletableFuture.completedFuture(cached);
        }
        CompletableFuture<String> f = new CompletableFuture<>();
        List<DistribusConnection> targets = new ArrayList<>(links.connected());
        if (targets.isEmpty()) {
            f.completeExceptionally(notFound(peerId));
            return f;
        }
        AtomicInteger left = new AtomicInteger(targets.size());
        ObjectNode p = DistroJson.MAPPER.createObjectNode().put("id", peerId);
        for (DistribusConnection c : targets) {
            c.request("find", p).whenComplete((r, e) -> {
                if (e == null && r != null && r.isTextual() && !r.asText().isEmpty()) {
                    if (!f.isDone()) {
                        addresses.put(peerId, r.asText());
                    }
                    f.complete(r.asText());
                }
                if (left.decrementAndGet() == 0) {
                    f.completeExceptionally(notFound(peerId));
                }
            });
        }
        return f;
    }

    private static PeerNotFoundException notFound(String peerId) {
        return new PeerNotFoundException("Peer not found (id: " + peerId + ")");
    }

    /** See {@link DistribusGateway#importPeer}. */
    CompletableFuture<Peer> importPeer(String peerId) {
        Peer existing = host.get(peerId);
        if (existing != null) {
            return CompletableFuture.completedFuture(existing);
        }
        return find(peerId).thenApply(u -> proxy(peerId, u));
    }

    /** The proxy for a Node-side peer at {@code at}, created when missing; null when a real Java peer has that id. */
    synchronized Peer proxy(String peerId, String at) {
        Peer p = host.get(peerId);
        if (p != null) {
            if (at != null && proxies.containsKey(peerId)) {
                proxies.put(peerId, at);
            }
            return proxies.containsKey(peerId) ? p : null;
        }
        p = host.create(peerId);
        proxies.put(peerId, at == null ? "" : at);
        Peer proxy = p;
        p.onMessage((from, m) -> forward(from, proxy.id(), m));
        return p;
    }

    /** A Java peer sent to a proxy: distribus {@code send} to the host that has the Node peer. */
    private void forward(String from, String to, Message m) {
        JsonNode payload = DistroJson.payload(m);
        find(to).thenCompose(u -> {
            DistribusConnection c = links.get(u);
            if (c == null) {
                return CompletableFuture.failedFuture(new PeerUnreachableException("Peer unreachable (id: " + to
                        + ", url: " + u + ")"));
            }
            ObjectNode p = DistroJson.MAPPER.createObjectNode().put("from", from).put("to", to);
            p.set("message", payload);
            return c.request("send", p);
        }).whenComplete((r, e) -> {
            if (e != null) {
                forwardFailures.increment();
                Throwable cause = e.getCause() != null ? e.getCause() : e;
                if (cause.getMessage() != null && cause.getMessage().contains("Peer not found")) {
                    addresses.remove(to);
                }
                LOG.warn("gateway {}: could not forward a message from {} to {}: {}", links.url(), from, to,
                        cause.getMessage());
            }
        });
    }

    /** Forgets where peers of the host at that url live, and removes their proxies from the Java host. */
    void forgetPeers(String url) {
        addresses.entrySet().removeIf(e -> e.getValue().equals(url));
        proxies.entrySet().removeIf(e -> {
            if (e.getValue().equals(url)) {
                host.remove(e.getKey());
                return true;
            }
            return false;
        });
    }

    /** Removes every proxy from the host and forgets every address. */
    void close() {
        proxies.keySet().forEach(host::remove);
        proxies.clear();
        addresses.clear();
    }
}

package io.meshbus.bus.carrier;

import io.meshbus.bus.Backplane;
import io.meshbus.message.Message;
import io.meshbus.node.Node;
import io.meshbus.node.SendStatus;
import java.net.URI;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;

/**
 * A broker: every host on it is a member, liveness is the broker's, and a host's events come through
 * {@link BackplaneLinks} so broker client threads never run host code. The node underneath is not started.
 */
final class BackplaneCarrier implements Carrier {
    private final Node node;
    private final Backplane backplane;
    private final Executor executor;
    private BackplaneLinks links;

    BackplaneCarrier(Node node, Backplane backplane, Executor executor) {
        this.node = node;
        this.backplane = backplane;
        this.executor = executor;
    }

    @Override
    public void attach(LinkEvents events) {
        links = new BackplaneLinks(node.id(), events, executor);
    }

    @Override
    public CompletableFuture<Collection<String>> start(String hostId, long incarnation) {
        return backplane.start(hostId, incarnation, links).thenApply(v -> List.copyOf(links.alive()));
    }

    @Override
    public CompletableFuture<String> dial(URI address) {
        return CompletableFuture.failedFuture(new UnsupportedOperationException(
                "a host on a backplane finds the others through its broker; it dials nobody"));
    }

    @Override
    public boolean brokered() {
        return true;
    }

    @Override
    public SendStatus send(String host, Message m) {
        return backplane.send(host, m);
    }

    @Override
    public int send(Collection<String> hosts, Message m, Collection<String> backPressured) {
        if (backPressured == null) {
            return backplane.send(hosts, m);
        }
        int taken = 0;
        for (String h : hosts) {
            SendStatus s = backplane.send(h, m);
            if (s.accepted()) {
                taken++;
            } else if (s == SendStatus.BACK_PRESSURED) {
                backPressured.add(h);
            }
        }
        return taken;
    }

    @Override
    public CompletableFuture<Void> whenWritable(String host) {
        return CompletableFuture.runAsync(() -> { }, CompletableFuture.delayedExecutor(1, TimeUnit.MILLISECONDS,
                executor));
    }

    @Override
    public boolean isLinked(String host) {
        return backplane.isAlive(host);
    }

    @Override
    public boolean keep(String host, boolean keep) {
        return true;
    }

    @Override
    public void drop(String host) {
        // the broker keeps its connections; a refused host's messages are dropped as a stranger's
    }

    @Override
    public Backplane nativeChannels() {
        return backplane.nativeChannels() ? backplane : null;
    }

    @Override
    public Backplane nativeDirectory() {
        return backplane.nativeDirectory() ? backplane : null;
    }

    @Override
    public boolean canPause() {
        return false;
    }

    @Override
    public void pause(String host) {
        // nothing to pause: the consumer queue drops instead (see ConsumerQueue)
    }

    @Override
    public void resume(String host) {
    }

    @Override
    public void metrics(Map<String, Long> into) {
        into.put("backplaneDropped", links.dropped.sum());
    }

    @Override
    public CompletableFuture<Void> close() {
        return backplane.close().thenCompose(v -> node.close());
    }
}

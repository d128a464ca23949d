package io.meshbus.bus.carrier;

import io.meshbus.bus.Backplane;
import io.meshbus.error.PeerNotFoundException;
import io.meshbus.message.Message;
import io.meshbus.node.MessageListener;
import io.meshbus.node.Node;
import io.meshbus.node.NodeListener;
import io.meshbus.node.SendStatus;
import java.net.URI;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;

/** Direct links: the node's. Members keep each other's links, so whichever side loses one dials it again. */
final class MeshCarrier implements Carrier {
    private final Node node;

    MeshCarrier(Node node) {
        this.node = node;
    }

    @Override
    public void attach(LinkEvents events) {
        node.onMessage(new MessageListener() {
            @Override
            public void onMessage(String from, Message message) {
                events.onMessage(from, message);
            }

            @Override
            public void onBatchEnd(String from) {
                events.onBatchEnd(from);
            }
        });
        node.addListener(new NodeListener() {
            @Override
            public void onConnect(ConnectEvent e) {
                events.onLinkUp(e);
            }

            @Override
            public void onDisconnect(DisconnectEvent e) {
                events.onLinkDown(e);
            }
        });
    }

    @Override
    public CompletableFuture<Collection<String>> start(String hostId, long incarnation) {
        return node.start().thenApply(n -> List.of());
    }

    @Override
    public CompletableFuture<String> dial(URI address) {
        return node.connect(address);
    }

    @Override
    public boolean brokered() {
        return false;
    }

    @Override
    public SendStatus send(String host, Message m) {
        return node.send(host, m);
    }

    @Override
    public int send(Collection<String> hosts, Message m, Collection<String> backPressured) {
        return node.send(hosts, m, backPressured);
    }

    @Override
    public CompletableFuture<Void> whenWritable(String host) {
        return node.whenWritable(host);
    }

    @Override
    public boolean isLinked(String host) {
        return node.isConnected(host);
    }

    @Override
    public boolean keep(String host, boolean keep) {
        try {
            node.keep(host, keep);
            return true;
        } catch (PeerNotFoundException gone) {
            return false;
        }
    }

    @Override
    public void drop(String host) {
        node.disconnect(host);
    }

    @Override
    public Backplane nativeChannels() {
        return null;
    }

    @Override
    public Backplane nativeDirectory() {
        return null;
    }

    @Override
    public boolean canPause() {
        return true;
    }

    @Override
    public void pause(String host) {
        node.pauseInbound(host);
    }

    @Override
    public void resume(String host) {
        node.resumeInbound(host);
    }

    @Override
    public void metrics(Map<String, Long> into) {
        // the node reports its own
    }

    @Override
    public CompletableFuture<Void> close() {
        return node.close();
    }
}

package io.meshbus.compat;

import io.meshbus.error.ClosedException;
import io.meshbus.error.PeerUnreachableException;
import io.meshbus.error.SelfConnectionException;
import io.netty.bootstrap.Bootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoop;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioSocketChannel;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.NetworkInterface;
import java.util.concurrent.CompletableFuture;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A masterless node's outgoing connections: refuses its own address before dialling (masterless noticed only after a
 * round trip), dials with a 5 s connect timeout, and re-dials a kept node once after its link broke (masterless's
 * {@code reconnect()}: one attempt to the stored address; when it fails, or reaches another node, the node is
 * dropped).
 *
 * <p>Threads: {@link #dial} and {@link #reconnect} run on the node's event loop.
 */
final class MasterlessDialer {
    private static final Logger LOG = LoggerFactory.getLogger(MasterlessDialer.class);

    /** What dialling needs from the node. */
    interface Owner {
        boolean closed();

        /** The listening address, or null before start. */
        InetSocketAddress listening();

        /** Sets up an outgoing connection's pipeline. */
        void initOutgoing(Channel ch, String host, int port, CompletableFuture<String> done, boolean keepIt);

        /** Drops a node now, as {@link MasterlessNode#disconnect}. */
        void disconnectNow(String nodeId);
    }

    private final String id;
    private final EventLoop loop;
    private final MasterlessRegistry registry;
    private final Owner owner;

    MasterlessDialer(String id, EventLoop loop, MasterlessRegistry registry, Owner owner) {
        this.id = id;
        this.loop = loop;
        this.registry = registry;
        this.owner = owner;
    }

    /** Dials host:port; {@code done} ends with the id of the node reached, once a link to it exists. */
    void dial(String host, int port, CompletableFuture<String> done, boolean keepIt) {
        if (owner.closed()) {
            done.completeExceptionally(new ClosedException("node " + id + " closed"));
            return;
        }
        if (isSelf(host, port)) {
            done.completeExceptionally(new SelfConnectionException("tcp://" + host + ":" + port + " is this node ("
                    + id + ")"));
            return;
        }
        new Bootstrap().group(loop).channel(NioSocketChannel.class)
                .option(ChannelOption.TCP_NODELAY, true)
                .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, 5000)
                .handler(new ChannelInitializer<SocketChannel>() {
                    @Override
                    protected void initChannel(SocketChannel ch) {
                        owner.initOutgoing(ch, host, port, done, keepIt);
                    }
                }).connect(host, port).addListener((ChannelFutureListener) r -> {
                    if (!r.isSuccess()) {
                        done.completeExceptionally(new PeerUnreachableException("cannot connect to tcp://" + host
                                + ":" + port + ": " + r.cause().getMessage(), r.cause()));
                    }
                });
    }

    /** masterless's reconnect(): one attempt to the stored address, for a kept node only; else the node is dropped. */
    void reconnect(MasterlessRemote n, String host, Integer port) {
        if (n.reconnecting || !registry.isKept(n.id) || owner.closed() || host == null) {
            owner.disconnectNow(n.id);
            return;
        }
        LOG.debug("masterless {}: reconnecting to {}", id, n.id);
        n.reconnecting = true;
        CompletableFuture<String> f = new CompletableFuture<>();
        f.whenComplete((got, e) -> loop.execute(() -> {
            // a failed dial, or one that reached another node on that address: the node is gone
            if ((e != null || !n.id.equals(got)) && registry.get(n.id) == n && n.stream == null) {
                n.reconnecting = false;
                owner.disconnectNow(n.id);
            }
        }));
        dial(host, port, f, true);
    }

    private boolean isSelf(String host, int port) {
        InetSocketAddress own = owner.listening();
        if (own == null || own.getPort() != port) {
            return false;
        }
        try {
            InetAddress a = InetAddress.getByName(host);
            return a.equals(own.getAddress()) || own.getAddress().isAnyLocalAddress()
                    && (a.isLoopbackAddress() || NetworkInterface.getByInetAddress(a) != null);
        } catch (IOException e) {
            return false;
        }
    }
}

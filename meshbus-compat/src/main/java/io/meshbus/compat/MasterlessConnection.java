package io.meshbus.compat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.meshbus.compat.MasterlessHandshake.Refusal;
import io.meshbus.error.ClosedException;
import io.meshbus.error.FrameTooLargeException;
import io.meshbus.error.PeerUnreachableException;
import io.meshbus.error.ProtocolViolationException;
import io.meshbus.error.SelfConnectionException;
import io.meshbus.error.UnexpectedPeerException;
import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.TooLongFrameException;
import io.netty.handler.timeout.IdleStateEvent;
import java.io.IOException;
import java.net.URI;
import java.util.concurrent.CompletableFuture;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One TCP connection of a masterless node: its handshake (outgoing or incoming; the decisions are
 * {@link MasterlessHandshake}'s), then the link's records. Bad input closes this connection only, typed, logged and
 * counted. A dial's future ends here: with the node's id once a link to it exists, whichever of the crossing dials
 * made it.
 *
 * <p>Threads: every handler method runs on the node's event loop, which also owns the registry and the remotes.
 */
final class MasterlessConnection extends ChannelInboundHandlerAdapter {
    private static final Logger LOG = LoggerFactory.getLogger(MasterlessConnection.class);

    /** What a connection needs from its node. */
    interface Owner {
        String id();

        /** Where the node listens ({@code tcp://host:port}), for the hello. */
        String nodeInfo();

        boolean closed();

        /** A connection starts or stops shaking hands (the node closes those still shaking hands when it closes). */
        void handshaking(MasterlessConnection c, boolean busy);

        /** masterless's reconnect(): one re-dial of a kept node to the address this connection knows. */
        void reconnect(MasterlessRemote n, String host, Integer port);

        void emit(Consumer<MasterlessListener> event);

        void countProtocolError();
    }

    /** What an outgoing connection was dialled for: the address, the dial's future, whether to keep the node. */
    record Dial(String host, int port, CompletableFuture<String> done, boolean keep) {
    }

    private final Owner owner;
    private final MasterlessRegistry registry;
    private final Channel ch;
    private final int maxLine;
    private final boolean outgoing;
    private final boolean keepOnConnect;
    /** Where the other node listens: dialled (outgoing) or announced in its hello (incoming). */
    private String host;
    private Integer port;
    private CompletableFuture<String> done;
    private MasterlessRemote remote;
    private boolean linked;
    private boolean finished;
    /** The node ended this link itself (disconnect, close) and has reported it: nothing more to say. */
    private boolean closing;

    /** An outgoing connection for {@code dial}, or an incoming one when it is null. */
    MasterlessConnection(Owner owner, MasterlessRegistry registry, Channel ch, int maxLine, Dial dial) {
        this.owner = owner;
        this.registry = registry;
        this.ch = ch;
        this.maxLine = maxLine;
        outgoing = dial != null;
        keepOnConnect = outgoing && dial.keep();
        if (outgoing) {
            host = dial.host();
            port = dial.port();
            done = dial.done();
        }
    }

    Channel channel() {
        return ch;
    }

    /** Closes the link on the node's behalf; the node reports the disconnect itself. */
    void closeLink() {
        closing = true;
        ch.close();
    }

    @Override
    public void channelActive(ChannelHandlerContext ctx) {
        owner.handshaking(this, true);
        if (owner.closed()) {
            ch.close();
            return;
        }
        if (outgoing) {
            ch.writeAndFlush(MasterlessRecords.hello(owner.id(), owner.nodeInfo()));
        }
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        ByteBuf b = (ByteBuf) msg;
        JsonNode data;
        try {
            data = MasterlessRecords.parse(b);
        } catch (IOException e) {
            violation(new ProtocolViolationException("not a JSON record: " + e.getMessage(), e));
            return;
        } finally {
            b.release();
        }
        if (data == null || finished) {
            return;
        }
        if (linked) {
            onLinkRecord(data);
        } else if (outgoing) {
            onOutgoingRecord(data);
        } else {
            onIncomingRecord(data);
        }
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable e) {
        if (e instanceof TooLongFrameException) {
            violation(new FrameTooLargeException("record longer than " + maxLine + " bytes"));
        } else {
            LOG.debug("masterless {}: connection error: {}", owner.id(), e.toString());
            abort(new PeerUnreachableException("connection error: " + e.getMessage(), e));
        }
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
        if (evt instanceof IdleStateEvent) {
            abort(new PeerUnreachableException("connection timed out"));
        }
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        owner.handshaking(this, false);
        if (finished) {
            return;
        }
        finished = true;
        if (linked) {
            onLinkEnd();
        } else {
            if (remote != null) {
                remote.handshake.reset(outgoing);
            }
            fail(new PeerUnreachableException("connection closed"));
        }
    }

    private void violation(RuntimeException e) {
        owner.countProtocolError();
        String rid = remote == null ? null : remote.id;
        LOG.warn("masterless {}: closing the link with {}: {}", owner.id(),
                rid == null ? String.valueOf(ch.remoteAddress()) : rid, e.getMessage());
        owner.emit(l -> l.onProtocolError(rid, e));
        abort(e);
    }

    /** An error: masterless's onerror on each side (close, maybe reconnect). */
    private void abort(RuntimeException e) {
        if (finished) {
            ch.close();
            return;
        }
        finished = true;
        owner.handshaking(this, false);
        if (linked) {
            MasterlessRemote n = remote;
            n.stream = null;
            n.handshake.linkLost(outgoing);
            ch.close();
            if (!owner.closed()) {
                owner.reconnect(n, host, port);
            }
            return;
        }
        if (remote != null) {
            if (remote.handshake.redialsAfterFailure(outgoing) && !owner.closed()) {
                owner.reconnect(remote, host, port);
            }
            remote.handshake.reset(outgoing);
        }
        ch.close();
        fail(e);
    }

    /** Ends a handshake that did not make a link; the dial still succeeds when another link to the node does. */
    private void fail(RuntimeException e) {
        CompletableFuture<String> d = done;
        done = null;
        MasterlessRemote n = remote;
        if (n == null && outgoing && d != null) {
            n = registry.byInfo(host, port);
        }
        if (d != null) {
            if (n != null && n.stream != null) {
                d.complete(n.id);
            } else if (n != null && (!n.handshake.idle() || n.reconnecting)) {
                // another handshake with that node is still running: this dial succeeds if that one does
                n.waiters.add(d);
            } else {
                d.completeExceptionally(e);
            }
        }
        if (n != null) {
            if (n.stream == null && n.handshake.idle() && !n.reconnecting && !n.waiters.isEmpty()) {
                n.waiters.forEach(w -> w.completeExceptionally(e));
                n.waiters.clear();
            }
            registry.tidy(n);
        }
    }

    /** Closes a connection the handshake refuses (no reconnect). */
    private void end(RuntimeException why) {
        finished = true;
        owner.handshaking(this, false);
        ch.close();
        fail(why);
    }

    private void onOutgoingRecord(JsonNode data) {
        if (remote == null && MasterlessRecords.isId(data)) {
            String rid = data.get("id").asText();
            if (rid.equals(owner.id())) {
                end(new SelfConnectionException("connected to itself (id " + owner.id() + ")"));
                return;
            }
            remote = registry.getOrCreate(rid);
            remote.infoHost = host;
            remote.infoPort = port;
            if (keepOnConnect) {
                registry.keep(rid, true);
            }
            Refusal no = remote.handshake.outgoingId();
            if (no != null) {
                ch.writeAndFlush(MasterlessRecords.abort());
                end(new UnexpectedPeerException(no.text()));
                return;
            }
            ch.writeAndFlush(MasterlessRecords.priority(remote.handshake.local().priority()));
        } else if (remote != null && MasterlessRecords.isConfirm(data)) {
            remote.handshake.outgoingConfirmed();
            linkUp();
            CompletableFuture<String> d = done;
            done = null;
            if (d != null) {
                d.complete(remote.id);
            }
        } else if (!MasterlessRecords.isHeartbeat(data)) {
            if (remote != null) {
                remote.handshake.reset(true);
            }
            violation(new ProtocolViolationException("unexpected packet in the handshake: " + data));
        }
    }

    private void onIncomingRecord(JsonNode data) {
        if (remote == null && MasterlessRecords.isId(data)) {
            String rid = data.get("id").asText();
            if (rid.equals(owner.id())) {
                end(new SelfConnectionException("incoming self-connection"));
                return;
            }
            URI info;
            try {
                info = URI.create(data.path("info").asText(""));
            } catch (IllegalArgumentException e) {
                info = null;
            }
            if (info == null || info.getHost() == null || info.getPort() <= 0) {
                violation(new ProtocolViolationException("bad info on incoming connection: " + data.get("info")));
                return;
            }
            host = info.getHost();
            port = info.getPort();
            remote = registry.getOrCreate(rid);
            remote.infoHost = host;
            remote.infoPort = port;
            Refusal no = remote.handshake.incomingId();
            if (no == Refusal.DUPLICATE_INCOMING) {
                // the incoming side belongs to the other connection: this one must not touch it when it ends
                MasterlessRemote n = remote;
                remote = null;
                end(new UnexpectedPeerException(no.text()));
                registry.tidy(n);
                return;
            }
            if (no != null) {
                end(new UnexpectedPeerException(no.text()));
                return;
            }
            ch.writeAndFlush(MasterlessRecords.id(owner.id()));
        } else if (remote != null && MasterlessRecords.isPriority(data)) {
            Refusal no = remote.handshake.incomingPriority(data.get("priority").asDouble());
            if (no != null) {
                end(new UnexpectedPeerException(no.text()));
                return;
            }
            ch.writeAndFlush(MasterlessRecords.confirm());
            linkUp();
        } else if (!MasterlessRecords.isHeartbeat(data)) {
            if (remote != null) {
                remote.handshake.reset(false);
            }
            violation(new ProtocolViolationException("unexpected packet in the handshake: " + data));
        }
    }

    /** masterless's onhandshake: the link is up. */
    private void linkUp() {
        linked = true;
        owner.handshaking(this, false);
        MasterlessRemote n = remote;
        n.linked(this);
        String nid = n.id;
        URI info = host == null ? null : Dialect.MASTERLESS.wrap("tcp://" + host + ":" + port);
        if (n.reconnecting) {
            n.reconnecting = false;
        } else {
            owner.emit(l -> l.onConnect(nid, info));
        }
        ch.writeAndFlush(MasterlessRecords.keep(registry.isKept(nid)));
    }

    private void onLinkRecord(JsonNode packet) {
        if (MasterlessRecords.isHeartbeat(packet)) {
            return;
        }
        MasterlessRemote n = remote;
        if (packet.isArray()) {
            n.keeping = packet.path(0).asBoolean(false);
            if (!registry.isKept(n.id) && !n.keeping) {
                LOG.debug("masterless {}: discarding unwanted link to {}", owner.id(), n.id);
                finished = true;
                registry.forget(n);
                n.stream = null;
                ch.close();
                n.drop(new ClosedException("link to " + n.id + " discarded: neither side keeps it"));
                owner.emit(l -> l.onDisconnect(n.id));
            }
        } else if (packet.isObject()) {
            ObjectNode o = (ObjectNode) packet;
            owner.emit(l -> l.onMessage(n.id, o));
        } else {
            violation(new ProtocolViolationException("packet is not an object: " + packet));
        }
    }

    private void onLinkEnd() {
        MasterlessRemote n = remote;
        if (owner.closed() || closing) {
            // masterless reported a disconnect() twice: once there, once when the link it closed ended
            return;
        }
        if (registry.isKept(n.id)) {
            n.stream = null;
            n.handshake.linkLost(outgoing);
            owner.reconnect(n, host, port);
        } else {
            registry.forget(n);
            n.stream = null;
            n.drop(new ClosedException("link to " + n.id + " closed"));
            owner.emit(l -> l.onDisconnect(n.id));
        }
    }
}

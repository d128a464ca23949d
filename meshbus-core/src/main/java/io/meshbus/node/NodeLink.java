package io.meshbus.node;

import io.meshbus.error.AuthenticationFailedException;
import io.meshbus.error.ClosedException;
import io.meshbus.error.ErrorCode;
import io.meshbus.error.FrameTooLargeException;
import io.meshbus.error.MeshbusException;
import io.meshbus.error.PeerUnreachableException;
import io.meshbus.error.ProtocolViolationException;
import io.meshbus.internal.RateLimitedLog;
import io.meshbus.message.Message;
import io.meshbus.wire.Frame;
import io.meshbus.wire.FrameDecoder;
import io.meshbus.wire.Protocol;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.socket.DuplexChannel;
import io.netty.handler.codec.DecoderException;
import io.netty.handler.timeout.IdleState;
import io.netty.handler.timeout.IdleStateEvent;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.util.ArrayDeque;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SSLException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One link (one channel) of a node: channel events, the frames of an open link (KEEP, TALLY, PING, BYE), and how the
 * link ends (goodbye, refusal, failure). Frames before the link is active go to its {@link LinkHandshake}; messages
 * and the read gate are its {@link LinkInbound}'s; writes go through its {@link LinkWriter}. Never calls user code:
 * messages and events go to the remote's serial executor.
 *
 * <p>Threads: the channel's event loop, except {@link #writer} (the remote's single drainer) and {@link #goodbye}
 * (any thread, run on the loop).
 */
final class NodeLink extends ChannelInboundHandlerAdapter implements LinkHandshake.Link {
    private static final Logger LOG = LoggerFactory.getLogger(NodeLink.class);

    /**
     * Acceptor: AWAIT_HELLO, then (with a secret) AWAIT_NONCE, AWAIT_CREDENTIAL, then (with a secret) AWAIT_PROOF,
     * then its decision or AWAIT_DECISION. Dialler: AWAIT_REPLY until ACCEPT (or its own decision). What each frame
     * does in each state before ACTIVE is tabled in {@link LinkHandshake}.
     */
    enum State { AWAIT_HELLO, AWAIT_NONCE, AWAIT_CREDENTIAL, AWAIT_PROOF, AWAIT_REPLY, AWAIT_DECISION, ACTIVE, CLOSING }

    final Channel ch;
    /** Null for an accepted link. */
    final DialContext dial;
    final LinkWriter writer;
    private final String nodeId;
    private final NodeOptions options;
    private final NodeMetrics metrics;
    private final Node node;
    private final LinkHandshake handshake;
    /** Warnings about remotes, rate-limited per remote address (shared by the node's links). */
    private final RateLimitedLog warnings;
    final LinkInbound inbound;

    // event loop only, unless said otherwise
    State state;
    /** Set once, by the arbiter under the remote's monitor, when this link becomes its remote's active link. */
    Remote remote;
    /** What {@link ConnectionLimits} counted this link under (null for a link dialled out). */
    ConnectionLimits.Admission admission;
    private volatile String remoteId = "?";
    private MeshbusException failure;
    /** A refused dial whose future now waits for the link the other side kept; closing this one must not fail it. */
    private boolean dialHandedOver;
    private boolean started;
    /** The link refused a frame or failed: nothing it reads from now on is handled. */
    private boolean discarding;
    /** How long a refused or failed link waits for the other side to close after the last frame. */
    static final long LINGER_MILLIS = 1_000;

    NodeLink(Node node, Channel ch, DialContext dial) {
        this.node = node;
        this.ch = ch;
        this.dial = dial;
        this.nodeId = node.id();
        this.options = node.options;
        this.metrics = node.metrics;
        this.warnings = node.warnings;
        this.state = dial == null ? State.AWAIT_HELLO : State.AWAIT_REPLY;
        this.writer = new LinkWriter(ch, options.maxFrameSize(), metrics, node.completions, this::remoteId);
        this.handshake = new LinkHandshake(this, ch, dial, node.local, options, metrics, warnings);
        this.inbound = new LinkInbound(ch, options, metrics, node.events, nodeId, handshake::readsPaused,
                node.blockedChecker);
    }

    @Override
    public String remoteId() {
        return remoteId;
    }

    /** The identity the authenticator gave the other side, or null. */
    String identity() {
        return handshake.identity();
    }

    // ------------------------------------------------------------------ channel events

    /** Transports that upgrade first (WebSocket) add this handler to a channel that is already active. */
    @Override
    public void handlerAdded(ChannelHandlerContext ctx) {
        if (ctx.channel().isActive()) {
            start();
        }
    }

    @Override
    public void channelActive(ChannelHandlerContext ctx) {
        start();
        ctx.fireChannelActive();
    }

    private void start() {
        if (started) {
            return;
        }
        started = true;
        node.limits.opened(this);
        handshake.start();
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (discarding) {
            return; // decoded in the same read as the refused frame: dropped, never handled
        }
        if (handshake.deciding()) {
            handshake.defer(msg);
            inbound.applyReadState();
            return;
        }
        try {
            read(msg);
        } catch (RuntimeException e) {
            internalError(e);
        }
    }

    private void read(Object msg) {
        if (discarding) {
            return;
        }
        if (msg instanceof Message m) {
            if (remote == null) {
                violation("DATA frame before the handshake completed");
                return;
            }
            inbound.add(m);
            return;
        }
        Frame f = (Frame) msg;
        if (f instanceof Frame.Ping) {
            return;
        }
        if (f instanceof Frame.Bye b) {
            onBye(b);
        } else if (state != State.ACTIVE && state != State.CLOSING) {
            handshake.onFrame(f);
        } else if (f instanceof Frame.Challenge || f instanceof Frame.Proof) {
            handshake.onFrame(f); // refused on an open link; ignored while closing
        } else if (f instanceof Frame.Reject && state == State.CLOSING) {
            // Both sides gave up on this link at once (closing, limits, duplicates): nothing more to say.
            ch.close();
        } else if (f instanceof Frame.Keep k) {
            node.arbiter.remoteKeep(this, k.keep());
        } else if (f instanceof Frame.Tally t) {
            inbound.onTally(t.count(), remoteId);
        } else {
            violation("unexpected " + f.getClass().getSimpleName() + " on an open link");
        }
    }

    @Override
    public void channelReadComplete(ChannelHandlerContext ctx) {
        inbound.endOfRead();
        ctx.fireChannelReadComplete();
    }

    @Override
    public void channelWritabilityChanged(ChannelHandlerContext ctx) {
        Remote r = remote;
        if (ch.isWritable() && r != null && r.active == this) {
            node.drainer.signalDrain(r);
        }
        ctx.fireChannelWritabilityChanged();
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
        if (evt instanceof IdleStateEvent e && state == State.ACTIVE) {
            if (e.state() == IdleState.READER_IDLE && inbound.silenceIsOurs()) {
                // The silence is ours: this side stopped reading (inbound limit, a slow consumer), not the remote.
                LOG.debug("link {} (node {}): not reading for {} ms on purpose", ch.remoteAddress(), remoteId,
                        options.idleTimeout().toMillis());
            } else if (e.state() == IdleState.READER_IDLE) {
                metrics.idleTimeouts.increment();
                fail(new PeerUnreachableException("nothing heard from node " + remoteId + " for "
                        + options.idleTimeout().toMillis() + " ms"));
            } else if (e.state() == IdleState.WRITER_IDLE) {
                Remote r = remote;
                if (r != null && r.queue.offerTally(false)) {
                    // Idle: a TALLY is the heartbeat, and tells the receiver how many messages are on the way.
                    node.drainer.signalDrain(r);
                } else {
                    ch.writeAndFlush(Frame.Ping.INSTANCE, ch.voidPromise());
                }
                node.reconnector.reapIfIdle(this, inbound.lastDataNanos());
            }
        }
        ctx.fireUserEventTriggered(evt);
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable t) {
        Throwable cause = t instanceof DecoderException && t.getCause() != null ? t.getCause() : t;
        if (cause instanceof SSLException e) {
            // Plain text to a TLS port, an untrusted, expired or misnamed certificate: the TLS handshake failed.
            metrics.authenticationFailures.increment();
            warnings.warn(LOG, from(ch), "closing link {}: TLS failed: {}", ch.remoteAddress(), e.getMessage());
            AuthenticationFailedException why = new AuthenticationFailedException("TLS with " + ch.remoteAddress()
                    + " failed: " + e.getMessage(), e);
            setFailure(why);
            if (dial != null) {
                dial.fail(why);
            }
            ch.close();
        } else if (cause instanceof FrameTooLargeException e) {
            metrics.framesTooLarge.increment();
            metrics.protocolViolations.increment();
            if (remote == null) {
                metrics.handshakeFramesTooLarge.increment();
            }
            warnings.warn(LOG, from(ch), "closing link {} (node {}): {}", ch.remoteAddress(), remoteId,
                    e.getMessage());
            fail(e);
        } else if (cause instanceof ProtocolViolationException e) {
            metrics.protocolViolations.increment();
            warnings.warn(LOG, from(ch), "closing link {} (node {}): protocol violation: {}", ch.remoteAddress(),
                    remoteId, e.getMessage());
            fail(e);
        } else if (cause instanceof IOException) {
            setFailure(new PeerUnreachableException("link to node " + remoteId + " broke: " + cause.getMessage(),
                    cause));
            ch.close();
        } else {
            internalError(cause);
        }
    }

    /** A failure of this node's own code: a bug, but it costs this link only. */
    @Override
    public void internalError(Throwable cause) {
        metrics.internalErrors.increment();
        LOG.error("unexpected error on link {} (node {})", ch.remoteAddress(), remoteId, cause);
        if (state != State.CLOSING) {
            fail(new ProtocolViolationException("internal error: " + cause, cause));
        } else {
            ch.close();
        }
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        handshake.stop();
        inbound.endOfRead();
        State was = state;
        state = State.CLOSING;
        if (failure == null) {
            failure = new PeerUnreachableException(was == State.ACTIVE || was == State.CLOSING
                    ? "link to node " + remoteId + " closed" : "connection to " + ch.remoteAddress()
                    + " closed during the handshake");
        }
        if (dial != null && !dialHandedOver) {
            dial.fail(failure);
        }
        node.linkClosed(this, failure);
        ctx.fireChannelInactive();
    }

    // ------------------------------------------------------------------ what the handshake does to this link

    @Override
    public State state() {
        return state;
    }

    @Override
    public void state(State next) {
        assert ch.eventLoop().inEventLoop();
        state = next;
    }

    @Override
    public void named(String id) {
        remoteId = id;
    }

    @Override
    public void arbitrate(Frame.Hello h, boolean replace) {
        node.arbiter.arbitrate(this, h.id(), h.incarnation(), h.address(), h.keep(), replace);
    }

    @Override
    public void activate(Frame.Accept a) {
        node.arbiter.activate(this, a.id(), a.incarnation(), a.address(), a.keep());
    }

    @Override
    public void handOver(MeshbusException why, String arbiterId) {
        stopReading();
        failure = why;
        dialHandedOver = true;
        node.arbiter.awaitDuplicate(dial, arbiterId);
        ch.close();
    }

    @Override
    public void refusedBy(MeshbusException why) {
        stopReading();
        failure = why;
        if (dial != null) {
            dial.fail(why);
        }
        ch.close();
    }

    @Override
    public void replay(ArrayDeque<Object> reads) {
        while (!reads.isEmpty() && state != State.CLOSING) {
            read(reads.poll());
        }
        inbound.endOfRead();
    }

    @Override
    public void readGateChanged() {
        inbound.applyReadState();
    }

    /** Called by the arbiter under the remote's lock once this link is the remote's active link. */
    void activated(Remote r) {
        assert ch.eventLoop().inEventLoop();
        remote = r;
        state = State.ACTIVE;
        FrameDecoder decoder = ch.pipeline().get(FrameDecoder.class);
        if (decoder != null) {
            decoder.handshakeDone();
        }
        inbound.activated(r);
        handshake.stop();
        node.limits.handshakeDone(this);
        if (dial != null) {
            dial.succeed(r.id);
        }
    }

    private void onBye(Frame.Bye b) {
        MeshbusException cause = b.code() == ErrorCode.CLOSED ? new ClosedException(b.text())
                : MeshbusException.of(b.code(), b.text());
        setFailure(cause);
        state = State.CLOSING;
        node.reconnector.linkDown(this, cause);
        // Everything written before the goodbye still goes out; then the channel closes.
        ch.writeAndFlush(Unpooled.EMPTY_BUFFER).addListener(ChannelFutureListener.CLOSE);
    }

    // ------------------------------------------------------------------ closing

    /**
     * Closes this link on purpose: goodbye first, then close once the other side closes (or after a bound). A BYE is
     * understood in every state, so this also ends a link whose handshake is still under way. Any thread.
     */
    void goodbye(ErrorCode code, String text) {
        ch.eventLoop().execute(() -> {
            if (!ch.isActive()) {
                return;
            }
            state = State.CLOSING;
            ClosedException cause = new ClosedException(text);
            setFailure(cause);
            // Stop sending on this link at once (new sends queue for the next link), keep reading until the other
            // side, having read the goodbye, closes: what it sent before that still arrives.
            node.reconnector.linkDown(this, cause);
            ch.writeAndFlush(new Frame.Bye(code, text));
            ch.eventLoop().schedule(() -> ch.close(), options.closeTimeout().toMillis(), TimeUnit.MILLISECONDS);
        });
    }

    /** Refuses a connection over a limit before anything else happens on it. */
    void refuse(MeshbusException e) {
        reject(e, rejectFrame(e, nodeId));
    }

    @Override
    public void reject(MeshbusException why, Frame.Reject told) {
        stopReading();
        setFailure(why);
        if (dial != null) {
            dial.fail(why);
        }
        state = State.CLOSING;
        closeAfter(told);
    }

    /**
     * Writes the last frame and closes so that the other side can read it: closing a TCP socket with input still
     * unread sends a reset, which can destroy the frame at the other end before it is read (a dialler then sees only
     * "closed during the handshake"). So the output is shut down after the frame, and whatever still arrives is
     * read and dropped until the other side closes, for at most {@link #LINGER_MILLIS}.
     */
    private void closeAfter(Frame last) {
        stopReading();
        ch.writeAndFlush(last).addListener(written -> {
            if (!(ch instanceof DuplexChannel d) || !written.isSuccess() || !ch.isActive()) {
                ch.close();
                return;
            }
            d.shutdownOutput().addListener(shut -> {
                ch.config().setAutoRead(true); // the decoder drops all of it now
                ch.read();
                ch.eventLoop().schedule(() -> {
                    ch.close();
                }, LINGER_MILLIS, TimeUnit.MILLISECONDS);
            });
        });
    }

    @Override
    public void violation(String what) {
        metrics.protocolViolations.increment();
        warnings.warn(LOG, from(ch), "closing link {} (node {}): protocol violation: {}", ch.remoteAddress(),
                remoteId, what);
        fail(new ProtocolViolationException(what));
    }

    /** Closes this link because of a failure, telling the other side why when possible. */
    @Override
    public void fail(MeshbusException e) {
        stopReading();
        setFailure(e);
        if (dial != null) {
            dial.fail(e);
        }
        State was = state;
        state = State.CLOSING;
        if (!ch.isActive()) {
            ch.close();
            return;
        }
        Frame why = was == State.ACTIVE ? new Frame.Bye(e.code(), e.getMessage())
                : rejectFrame(e, nodeId);
        closeAfter(why);
    }

    /**
     * Reads nothing more: the decoder drops what it holds and what arrives, frames it decoded already in the same
     * read are dropped here, and the channel stops reading while the refusal is written and the link closes.
     */
    private void stopReading() {
        discarding = true;
        inbound.stop();
        FrameDecoder decoder = ch.pipeline().get(FrameDecoder.class);
        if (decoder != null) {
            decoder.discardRest();
        }
    }

    private void setFailure(MeshbusException e) {
        if (failure == null) {
            failure = e;
        }
    }

    MeshbusException failure() {
        return failure;
    }

    /**
     * The REJECT that tells the other side why, its text cut to {@link Protocol#MAX_ID_LENGTH} characters: with the
     * id it stays below {@link Protocol#MAX_HANDSHAKE_FRAME}, so the reason is read, not refused as too large.
     */
    static Frame.Reject rejectFrame(MeshbusException e, String id) {
        String text = String.valueOf(e.getMessage());
        return new Frame.Reject(e.code(), text.length() <= Protocol.MAX_ID_LENGTH ? text
                : text.substring(0, Protocol.MAX_ID_LENGTH - 3) + "...", id);
    }

    /** The key a remote's warnings are rate-limited under: its IP address, or the whole address off IP. */
    static Object from(Channel ch) {
        return ch.remoteAddress() instanceof InetSocketAddress a && a.getAddress() != null ? a.getAddress()
                : String.valueOf(ch.remoteAddress());
    }

    @Override
    public String toString() {
        return "NodeLink{" + remoteId + " " + ch.remoteAddress() + " " + state + "}";
    }
}

package io.meshbus.node;

import io.meshbus.error.AuthenticationFailedException;
import io.meshbus.error.ClosedException;
import io.meshbus.error.ErrorCode;
import io.meshbus.error.FrameTooLargeException;
import io.meshbus.error.HandshakeTimeoutException;
import io.meshbus.error.IncompatibleVersionException;
import io.meshbus.error.MeshbusException;
import io.meshbus.error.PeerUnreachableException;
import io.meshbus.error.ProtocolViolationException;
import io.meshbus.error.SelfConnectionException;
import io.meshbus.error.UnexpectedPeerException;
import io.meshbus.message.Message;
import io.meshbus.wire.Frame;
import io.meshbus.wire.Protocol;
import io.meshbus.wire.WireFormat;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.DecoderException;
import io.netty.handler.ssl.SslHandler;
import io.netty.handler.timeout.IdleState;
import io.netty.handler.timeout.IdleStateEvent;
import io.netty.util.concurrent.ScheduledFuture;
import java.io.IOException;
import java.security.cert.Certificate;
import java.security.cert.X509Certificate;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import javax.net.ssl.SSLPeerUnverifiedException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One link (one channel) of a node: the handshake state machine, heartbeats, inbound batching and the writer that
 * drains a remote's queue into large buffers. Runs on the channel's event loop, except {@link #writeFrom} which runs
 * wherever the remote's single drainer runs. Never calls user code: messages and events go to the remote's serial
 * executor.
 */
final class NodeLink extends ChannelInboundHandlerAdapter {
    private static final Logger LOG = LoggerFactory.getLogger(NodeLink.class);
    /** A buffer is written once it holds this much; large writes are what makes a stream fast. */
    private static final int WRITE_CHUNK = 64 * 1024;
    /** Shared (multi-dispatch) frames above this size are written as they are instead of copied into the batch. */
    private static final int COPY_LIMIT = 8 * 1024;

    /**
     * Acceptor: AWAIT_HELLO, then (with a secret) AWAIT_NONCE, AWAIT_CREDENTIAL, then (with a secret) AWAIT_PROOF,
     * then its decision or AWAIT_DECISION. Dialler: AWAIT_REPLY until ACCEPT (or its own decision).
     */
    enum State { AWAIT_HELLO, AWAIT_NONCE, AWAIT_CREDENTIAL, AWAIT_PROOF, AWAIT_REPLY, AWAIT_DECISION, ACTIVE, CLOSING }

    final Node node;
    final Channel ch;
    /** Null for an accepted link. */
    final DialContext dial;
    private final int inboundLimit;
    private final AtomicInteger undelivered = new AtomicInteger();
    /**
     * Event loop only: reading stopped because {@link #undelivered} reached the inbound limit, until it falls to half.
     * Kept apart from the other reasons to stop reading ({@link #pausedForVerdict}, {@link Remote#inboundPaused}) so
     * that none of them resumes what another one paused: see {@link #applyReadState()}.
     */
    private boolean overInboundLimit;

    State state;
    Remote remote;
    private String remoteId = "?";
    private ScheduledFuture<?> handshakeTimer;
    private ArrayList<Message> batch = new ArrayList<>();
    private long lastDataNanos = System.nanoTime();
    private MeshbusException failure;
    /** A refused dial whose future now waits for the link the other side kept; closing this one must not fail it. */
    private boolean dialHandedOver;
    private boolean started;
    /** Authentication state: this side's nonce, the other's, the HELLO waiting for its proof, the proof seen. */
    private byte[] myNonce;
    private byte[] theirNonce;
    private Frame.Hello provenHello;
    private boolean proven;
    /** The other side's credential once its CREDENTIAL arrived, and whether the authenticator accepted it. */
    private byte[] theirCredential;
    private boolean credentialAccepted;
    private String identity;
    /**
     * While the authenticator runs on the executor, what the link reads waits here (reading is paused, so at most one
     * read's worth) and is handled in order once the verdict is in.
     */
    private boolean deciding;
    private ArrayDeque<Object> deferred;
    private boolean pausedForVerdict;
    /** What {@link ConnectionLimits} counted this link under (null for a link dialled out). */
    ConnectionLimits.Admission admission;

    NodeLink(Node node, Channel ch, DialContext dial) {
        this.node = node;
        this.ch = ch;
        this.dial = dial;
        this.inboundLimit = node.options.inboundLimit();
        this.state = dial == null ? State.AWAIT_HELLO : State.AWAIT_REPLY;
    }

    String remoteId() {
        return remoteId;
    }

    /** The identity the authenticator gave the other side, or null. */
    String identity() {
        return identity;
    }

    // ------------------------------------------------------------------ channel events

    /** Transports that upgrade first (WebSocket) add this handler to a channel that is already active. */
    @Override
    public void handlerAdded(ChannelHandlerContext ctx) {
        if (ctx.channel().isActive()) {
            start(ctx);
        }
    }

    @Override
    public void channelActive(ChannelHandlerContext ctx) {
        start(ctx);
        ctx.fireChannelActive();
    }

    private void start(ChannelHandlerContext ctx) {
        if (started) {
            return;
        }
        started = true;
        node.limits.opened(this);
        long ms = node.options.handshakeTimeout().toMillis();
        handshakeTimer = ctx.executor().schedule(() -> {
            if (state != State.ACTIVE && state != State.CLOSING) {
                node.metrics.handshakeTimeouts.increment();
                fail(new HandshakeTimeoutException("no handshake from " + ch.remoteAddress() + " within " + ms
                        + " ms"));
            }
        }, ms, TimeUnit.MILLISECONDS);
        if (dial != null) {
            ch.writeAndFlush(new Frame.Hello(Protocol.VERSION, node.id(), node.incarnation(), node.advertisedText(),
                    dial.keep(), dial.expectedId() == null ? "" : dial.expectedId(), dial.replace()));
            if (node.secret != null) {
                myNonce = Secret.nonce();
                ch.writeAndFlush(new Frame.Challenge(node.id(), myNonce, new byte[0]));
            }
            ch.writeAndFlush(new Frame.Credential(node.credentials));
        }
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (deciding) {
            if (deferred == null) {
                deferred = new ArrayDeque<>();
            }
            deferred.add(msg);
            if (ch.config().isAutoRead()) {
                pausedForVerdict = true;
                ch.config().setAutoRead(false);
            }
            return;
        }
        try {
            read(msg);
        } catch (RuntimeException e) {
            internalError(e);
        }
    }

    private void read(Object msg) {
        if (msg instanceof Message m) {
            if (state != State.ACTIVE && state != State.CLOSING) {
                violation("DATA frame before the handshake completed");
                return;
            }
            batch.add(m);
            return;
        }
        onFrame((Frame) msg);
    }

    @Override
    public void channelReadComplete(ChannelHandlerContext ctx) {
        if (!batch.isEmpty()) {
            dispatch();
        }
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
            if (e.state() == IdleState.READER_IDLE && !ch.config().isAutoRead()) {
                // The silence is ours: this side stopped reading (inbound limit, a slow consumer), not the remote.
                LOG.debug("link {} (node {}): not reading for {} ms on purpose", ch.remoteAddress(), remoteId,
                        node.options.idleTimeout().toMillis());
            } else if (e.state() == IdleState.READER_IDLE) {
                node.metrics.idleTimeouts.increment();
                fail(new PeerUnreachableException("nothing heard from node " + remoteId + " for "
                        + node.options.idleTimeout().toMillis() + " ms"));
            } else if (e.state() == IdleState.WRITER_IDLE) {
                Remote r = remote;
                if (r != null && r.queue.offerTally(false)) {
                    // Idle: a TALLY is the heartbeat, and tells the receiver how many messages are on the way.
                    node.drainer.signalDrain(r);
                } else {
                    ch.writeAndFlush(Frame.Ping.INSTANCE, ch.voidPromise());
                }
                node.reconnector.reapIfIdle(this, lastDataNanos);
            }
        }
        ctx.fireUserEventTriggered(evt);
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable t) {
        Throwable cause = t instanceof DecoderException && t.getCause() != null ? t.getCause() : t;
        if (cause instanceof javax.net.ssl.SSLException e) {
            // Plain text to a TLS port, an untrusted, expired or misnamed certificate: the TLS handshake failed.
            node.metrics.authenticationFailures.increment();
            LOG.warn("closing link {}: TLS failed: {}", ch.remoteAddress(), e.getMessage());
            AuthenticationFailedException why = new AuthenticationFailedException("TLS with " + ch.remoteAddress()
                    + " failed: " + e.getMessage(), e);
            setFailure(why);
            if (dial != null) {
                dial.fail(why);
            }
            ch.close();
        } else if (cause instanceof FrameTooLargeException e) {
            node.metrics.framesTooLarge.increment();
            node.metrics.protocolViolations.increment();
            LOG.warn("closing link {} (node {}): {}", ch.remoteAddress(), remoteId, e.getMessage());
            fail(e);
        } else if (cause instanceof ProtocolViolationException e) {
            node.metrics.protocolViolations.increment();
            LOG.warn("closing link {} (node {}): protocol violation: {}", ch.remoteAddress(), remoteId,
                    e.getMessage());
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
    private void internalError(Throwable cause) {
        node.metrics.internalErrors.increment();
        LOG.error("unexpected error on link {} (node {})", ch.remoteAddress(), remoteId, cause);
        if (state != State.CLOSING) {
            fail(new ProtocolViolationException("internal error: " + cause, cause));
        } else {
            ch.close();
        }
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        if (handshakeTimer != null) {
            handshakeTimer.cancel(false);
        }
        if (!batch.isEmpty()) {
            dispatch();
        }
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

    // ------------------------------------------------------------------ handshake

    private void onFrame(Frame f) {
        if (f instanceof Frame.Ping) {
            return;
        }
        if (f instanceof Frame.Bye b) {
            onBye(b);
            return;
        }
        if (f instanceof Frame.Challenge || f instanceof Frame.Proof) {
            onAuthentication(f);
            return;
        }
        if (f instanceof Frame.Reject && state == State.CLOSING) {
            // Both sides gave up on this link at once (closing, limits, duplicates): nothing more to say.
            ch.close();
            return;
        }
        if (f instanceof Frame.Reject r && (state == State.AWAIT_NONCE || state == State.AWAIT_CREDENTIAL
                || state == State.AWAIT_PROOF)) {
            onReject(r);
            return;
        }
        if (f instanceof Frame.Credential c && state == State.AWAIT_CREDENTIAL) {
            onCredential(c);
            return;
        }
        if (node.secret != null && !proven && !(f instanceof Frame.Reject) && (state == State.AWAIT_REPLY
                || state == State.AWAIT_NONCE || state == State.AWAIT_CREDENTIAL || state == State.AWAIT_PROOF)) {
            authFailed("node " + remoteId + " did not prove the network secret");
            return;
        }
        switch (state) {
            case AWAIT_HELLO -> {
                if (f instanceof Frame.Hello h) {
                    onHello(h);
                } else {
                    violation("expected HELLO, got " + f.getClass().getSimpleName());
                }
            }
            case AWAIT_REPLY -> {
                if (f instanceof Frame.Credential c) {
                    if (theirCredential != null) {
                        violation("a second CREDENTIAL");
                        return;
                    }
                    theirCredential = c.token();
                } else if (f instanceof Frame.Accept a) {
                    if (!checkIdentity(a.id(), Protocol.VERSION) || !mustArbitrate(a.id(), false)
                            || !authenticated(a.id(), f)) {
                        return;
                    }
                    remoteId = a.id();
                    node.arbiter.activate(this, a.id(), a.incarnation(), a.address(), a.keep());
                } else if (f instanceof Frame.Hello h) {
                    if (!checkIdentity(h.id(), h.version()) || !mustArbitrate(h.id(), true)
                            || !authenticated(h.id(), f)) {
                        return;
                    }
                    remoteId = h.id();
                    node.arbiter.arbitrate(this, h.id(), h.incarnation(), h.address(), h.keep(), false);
                } else if (f instanceof Frame.Reject r) {
                    onReject(r);
                } else {
                    violation("expected the handshake reply, got " + f.getClass().getSimpleName());
                }
            }
            case AWAIT_DECISION -> {
                if (f instanceof Frame.Accept a && a.id().equals(remoteId)) {
                    node.arbiter.activate(this, a.id(), a.incarnation(), a.address(), a.keep());
                } else if (f instanceof Frame.Reject r) {
                    // The arbiter kept another link; nothing failed on this side.
                    failure = MeshbusException.of(r.code(), r.text());
                    ch.close();
                } else {
                    violation("expected ACCEPT or REJECT, got " + f.getClass().getSimpleName());
                }
            }
            case ACTIVE, CLOSING -> {
                if (f instanceof Frame.Keep k) {
                    node.arbiter.remoteKeep(this, k.keep());
                } else if (f instanceof Frame.Tally t) {
                    onTally(t.count());
                } else {
                    violation("unexpected " + f.getClass().getSimpleName() + " on an open link");
                }
            }
            default -> violation("unexpected " + f.getClass().getSimpleName() + " while waiting for "
                    + (state == State.AWAIT_NONCE ? "CHALLENGE" : state == State.AWAIT_CREDENTIAL ? "CREDENTIAL"
                    : "PROOF"));
        }
    }

    private void onHello(Frame.Hello h) {
        if (!checkIdentity(h.id(), h.version())) {
            return;
        }
        // Decide nothing before the dialler has proven the secret (if any) and presented its credential.
        remoteId = h.id();
        provenHello = h;
        if (node.secret != null) {
            state = State.AWAIT_NONCE;
            myNonce = Secret.nonce();
            ch.writeAndFlush(new Frame.Challenge(node.id(), myNonce, new byte[0]));
        } else {
            state = State.AWAIT_CREDENTIAL;
        }
    }

    /** The acceptor has the dialler's credential; with a secret the dialler's proof comes next. */
    private void onCredential(Frame.Credential c) {
        theirCredential = c.token();
        if (node.secret != null) {
            state = State.AWAIT_PROOF;
        } else {
            acceptorAuthenticated();
        }
    }

    /**
     * The dialler passed the secret (if any): now the authenticator. Only once it accepts does this side present its
     * own credential and answer, so a refused dialler learns nothing about this node or its network.
     */
    private void acceptorAuthenticated() {
        Frame.Hello h = provenHello;
        authenticate(h.id(), () -> {
            provenHello = null;
            ch.write(new Frame.Credential(node.credentials));
            proceedWithHello(h);
        });
    }

    /**
     * Dialler side: the answer in {@code f} is taken only once the acceptor's credential passed this node's
     * authenticator. Returns true when it has; otherwise the check is started (or failed) and {@code f} is handled
     * again once the verdict is in.
     */
    private boolean authenticated(String id, Frame f) {
        if (credentialAccepted) {
            return true;
        }
        if (theirCredential == null) {
            authFailed("node " + id + " answered without presenting its credential");
            return false;
        }
        authenticate(id, () -> onFrame(f));
        return false;
    }

    /**
     * Runs the authenticator, if any, on what the other side presented, then {@code accepted} on the event loop. The
     * authenticator is user code: it runs on the executor while this link defers what it reads.
     */
    private void authenticate(String id, Runnable accepted) {
        Authenticator auth = node.authenticator;
        if (auth == null) {
            credentialAccepted = true;
            accepted.run();
            return;
        }
        Authenticator.Presented presented = new Authenticator.Presented(id, theirCredential, peerCertificates(),
                ch.remoteAddress(), dial == null);
        deciding = true;
        Runnable check = () -> {
            Authenticator.Verdict v;
            try {
                v = auth.authenticate(presented);
                if (v == null) {
                    v = Authenticator.Verdict.refuse("the authenticator gave no verdict");
                }
            } catch (RuntimeException | Error e) {
                LOG.warn("authenticator of node {} failed on node {}", node.id(), id, e);
                v = Authenticator.Verdict.refuse("the authenticator failed: " + e);
            }
            Authenticator.Verdict verdict = v;
            ch.eventLoop().execute(() -> onVerdict(verdict, accepted));
        };
        try {
            node.options.executor().execute(check);
        } catch (RejectedExecutionException e) {
            onVerdict(Authenticator.Verdict.refuse("the executor refused the authenticator: " + e), accepted);
        }
    }

    private void onVerdict(Authenticator.Verdict v, Runnable accepted) {
        deciding = false;
        if (state == State.CLOSING || !ch.isActive()) {
            deferred = null;
            return;
        }
        try {
            if (!v.accepted()) {
                deferred = null;
                refused(v.reason());
                return;
            }
            credentialAccepted = true;
            identity = v.identity();
            accepted.run();
            ArrayDeque<Object> d = deferred;
            deferred = null;
            while (d != null && !d.isEmpty() && state != State.CLOSING) {
                read(d.poll());
            }
            if (!batch.isEmpty()) {
                dispatch();
            }
        } catch (RuntimeException e) {
            internalError(e);
        }
        if (pausedForVerdict) {
            pausedForVerdict = false;
            applyReadState();
        }
        ch.flush();
    }

    /** The TLS peer's verified chain, leaf first; empty without TLS or without a peer certificate. */
    private List<X509Certificate> peerCertificates() {
        SslHandler tls = ch.pipeline().get(SslHandler.class);
        if (tls == null) {
            return List.of();
        }
        try {
            List<X509Certificate> chain = new ArrayList<>();
            for (Certificate c : tls.engine().getSession().getPeerCertificates()) {
                if (c instanceof X509Certificate x) {
                    chain.add(x);
                }
            }
            return chain;
        } catch (SSLPeerUnverifiedException none) {
            return List.of();
        }
    }

    /**
     * The authenticator refused the other side: this side logs why and counts it; the other side is told only that
     * authentication failed, not why and not who refused it.
     */
    private void refused(String why) {
        node.metrics.authenticationFailures.increment();
        LOG.warn("refusing link {} (node {}): {}", ch.remoteAddress(), remoteId, why);
        AuthenticationFailedException e = new AuthenticationFailedException("node " + node.id() + " refused node "
                + remoteId + ": " + why);
        setFailure(e);
        if (dial != null) {
            dial.fail(e);
        }
        state = State.CLOSING;
        ch.writeAndFlush(new Frame.Reject(ErrorCode.AUTHENTICATION_FAILED, "authentication failed", ""))
                .addListener(ChannelFutureListener.CLOSE);
    }

    /**
     * The authentication exchange, symmetric: each side sends a fresh nonce (the dialler right after its HELLO, the
     * acceptor when the HELLO arrives), answers the other's nonce with its proof over both nonces, and checks the
     * other's proof. The acceptor decides on the link only once the dialler is proven; the dialler takes no answer
     * before the acceptor is. A missing secret on either side, a proof that does not check out, or anything out of
     * order is an authentication failure.
     */
    private void onAuthentication(Frame f) {
        if (state == State.CLOSING) {
            return;
        }
        Secret secret = node.secret;
        if (secret == null) {
            authFailed("node " + remoteId + " authenticates with a network secret; this node has none");
            return;
        }
        boolean acceptor = dial == null;
        boolean handshaking = acceptor ? state == State.AWAIT_NONCE || state == State.AWAIT_CREDENTIAL
                || state == State.AWAIT_PROOF : state == State.AWAIT_REPLY;
        if (!handshaking || myNonce == null) {
            authFailed("unexpected " + f.getClass().getSimpleName() + " in state " + state);
            return;
        }
        if (f instanceof Frame.Challenge c && theirNonce == null && c.nonce().length == Protocol.NONCE
                && c.proof().length == 0) {
            theirNonce = c.nonce();
            if (!acceptor) {
                remoteId = c.id();
            }
            byte[] dn = acceptor ? theirNonce : myNonce;
            byte[] an = acceptor ? myNonce : theirNonce;
            String aid = acceptor ? node.id() : remoteId;
            String did = acceptor ? remoteId : node.id();
            ch.writeAndFlush(new Frame.Proof(secret.proof(acceptor ? 'A' : 'D', dn, an, aid, did)));
            if (acceptor) {
                state = State.AWAIT_CREDENTIAL;
            }
        } else if (f instanceof Frame.Proof p && theirNonce != null && !proven
                && (!acceptor || state == State.AWAIT_PROOF)) {
            byte[] dn = acceptor ? theirNonce : myNonce;
            byte[] an = acceptor ? myNonce : theirNonce;
            String aid = acceptor ? node.id() : remoteId;
            String did = acceptor ? remoteId : node.id();
            if (!Secret.same(p.proof(), secret.proof(acceptor ? 'D' : 'A', dn, an, aid, did))) {
                authFailed("node " + remoteId + " did not prove the network secret");
                return;
            }
            proven = true;
            if (acceptor) {
                acceptorAuthenticated();
            }
        } else {
            authFailed("unexpected " + f.getClass().getSimpleName() + " during authentication");
        }
    }

    private void authFailed(String why) {
        node.metrics.authenticationFailures.increment();
        LOG.warn("refusing link {} (node {}): {}", ch.remoteAddress(), remoteId, why);
        reject(new AuthenticationFailedException(why));
    }

    private void proceedWithHello(Frame.Hello h) {
        if (!h.expectedId().isEmpty() && !h.expectedId().equals(node.id())) {
            node.metrics.handshakesRejected.increment();
            reject(new UnexpectedPeerException("this is node " + node.id() + ", not " + h.expectedId()));
            return;
        }
        remoteId = h.id();
        if (node.id().compareTo(h.id()) < 0) {
            node.arbiter.arbitrate(this, h.id(), h.incarnation(), h.address(), h.keep(), h.replace());
        } else {
            state = State.AWAIT_DECISION;
            ch.writeAndFlush(new Frame.Hello(Protocol.VERSION, node.id(), node.incarnation(), node.advertisedText(),
                    node.isKept(h.id()), "", false));
        }
    }

    /** Checks a handshake identity; on failure sends REJECT, closes and returns false. */
    private boolean checkIdentity(String id, int version) {
        if (version != Protocol.VERSION) {
            node.metrics.handshakesRejected.increment();
            reject(new IncompatibleVersionException("protocol version " + version
                    + " is not supported: this node speaks version " + Protocol.VERSION));
            return false;
        }
        if (id.isEmpty()) {
            violation("handshake without a node id");
            return false;
        }
        if (id.equals(node.id())) {
            node.metrics.selfConnections.increment();
            reject(new SelfConnectionException("node " + id + " dialled itself"
                    + (dial != null ? " at " + dial.uri() : "")));
            return false;
        }
        if (dial != null && dial.expectedId() != null && !dial.expectedId().equals(id)) {
            node.metrics.handshakesRejected.increment();
            reject(new UnexpectedPeerException("expected node " + dial.expectedId() + " at " + dial.uri()
                    + " but node " + id + " answered"));
            return false;
        }
        return true;
    }

    /** The smaller id arbitrates; a reply that contradicts that is a protocol violation. */
    private boolean mustArbitrate(String otherId, boolean weMust) {
        if ((node.id().compareTo(otherId) < 0) != weMust) {
            violation("handshake reply from " + otherId + " breaks the arbitration rule");
            return false;
        }
        return true;
    }

    private void onReject(Frame.Reject r) {
        MeshbusException e = MeshbusException.of(r.code(), r.text());
        if (r.code() == ErrorCode.DUPLICATE_LINK && !r.id().isEmpty() && dial != null) {
            failure = e;
            dialHandedOver = true;
            node.arbiter.awaitDuplicate(dial, r.id());
            ch.close();
            return;
        }
        node.metrics.handshakesRejected.increment();
        failure = e;
        if (dial != null) {
            dial.fail(e);
        }
        ch.close();
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

    /** Called by the node under the remote's lock once this link is the remote's active link. */
    void activated(Remote r, boolean reconnect) {
        remote = r;
        tallyCounts = reconnect;
        state = State.ACTIVE;
        if (r.inboundPaused) {
            applyReadState();
        }
        lastDataNanos = System.nanoTime();
        if (handshakeTimer != null) {
            handshakeTimer.cancel(false);
        }
        if (dial != null) {
            dial.succeed(r.id);
        }
    }

    /**
     * Closes this link on purpose: goodbye first, then close once the other side closes (or after a bound). A BYE is
     * understood in every state, so this also ends a link whose handshake is still under way.
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
            ch.eventLoop().schedule(() -> ch.close(), node.options.closeTimeout().toMillis(), TimeUnit.MILLISECONDS);
        });
    }

    /** Refuses a connection over a limit before anything else happens on it. */
    void refuse(MeshbusException e) {
        reject(e);
    }

    /** Refuses during the handshake: REJECT with the cause, then close. */
    void reject(MeshbusException e) {
        setFailure(e);
        if (dial != null) {
            dial.fail(e);
        }
        state = State.CLOSING;
        ch.writeAndFlush(new Frame.Reject(e.code(), e.getMessage(), node.id()))
                .addListener(ChannelFutureListener.CLOSE);
    }

    private void violation(String what) {
        node.metrics.protocolViolations.increment();
        LOG.warn("closing link {} (node {}): protocol violation: {}", ch.remoteAddress(), remoteId, what);
        fail(new ProtocolViolationException(what));
    }

    /** Closes this link because of a failure, telling the other side why when possible. */
    void fail(MeshbusException e) {
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
                : new Frame.Reject(e.code(), e.getMessage(), node.id());
        ch.writeAndFlush(why).addListener(ChannelFutureListener.CLOSE);
    }

    private void setFailure(MeshbusException e) {
        if (failure == null) {
            failure = e;
        }
    }

    MeshbusException failure() {
        return failure;
    }

    // ------------------------------------------------------------------ inbound

    /**
     * The remote had sent {@code count} data messages before this frame: what we read is short by what broken links
     * lost on the way. Counted and logged here; then both counts agree again.
     */
    private void onTally(long count) {
        Remote r = remote;
        if (r == null) {
            return; // closing before it was ever active: nothing to compare
        }
        long have = r.received.get() + batch.size();
        long lost = count - have;
        r.received.addAndGet(lost);
        if (lost > 0 && tallyCounts) {
            node.metrics.messagesLostInFlight.add(lost);
            LOG.warn("node {}: {} messages from node {} were lost with a broken link", node.id(), lost,
                    remoteId);
        }
    }

    /**
     * Whether a TALLY here measures losses: on a first link to a remote (or its new incarnation) nothing was lost
     * yet, and a difference only means the remote counts from an earlier meeting we forgot; the TALLY sets the base.
     */
    private boolean tallyCounts;

    private void dispatch() {
        ArrayList<Message> b = batch;
        Remote counting = remote;
        if (counting != null) {
            counting.received.addAndGet(b.size());
        }
        batch = new ArrayList<>(Math.max(16, b.size()));
        lastDataNanos = System.nanoTime();
        if (undelivered.addAndGet(b.size()) >= inboundLimit) {
            overInboundLimit = true;
            applyReadState();
        }
        Remote r = remote;
        r.inbound.execute(() -> node.events.deliver(r.id, b, this));
    }

    /** Called on the listener thread after a batch was delivered: reading resumes below half the limit. */
    void delivered(int n) {
        if (undelivered.addAndGet(-n) <= inboundLimit / 2 && !ch.config().isAutoRead()) {
            ch.eventLoop().execute(() -> {
                if (undelivered.get() <= inboundLimit / 2) {
                    overInboundLimit = false;
                }
                applyReadState();
            });
        }
    }

    /**
     * Event loop only: reads when no reason to stop holds (the inbound limit, an authenticator's pending verdict, a
     * pause asked through {@link Node#pauseInbound}), so one reason's end never resumes what another one paused.
     */
    /** Applies the read gate on the event loop; completes once it holds (at once when the loop is shutting down). */
    CompletableFuture<Boolean> applyReadStateLater() {
        CompletableFuture<Boolean> applied = new CompletableFuture<>();
        try {
            ch.eventLoop().execute(() -> {
                applyReadState();
                applied.complete(true);
            });
        } catch (RejectedExecutionException closing) {
            // the event loop is shutting down with the node: there is nothing left to read
            applied.complete(true);
        }
        return applied;
    }

    void applyReadState() {
        Remote r = remote;
        boolean read = !overInboundLimit && !pausedForVerdict && (r == null || !r.inboundPaused);
        if (ch.config().isAutoRead() != read) {
            ch.config().setAutoRead(read);
        }
    }

    // ------------------------------------------------------------------ outbound

    /**
     * Writes the remote's queued items while the channel is writable: messages are encoded back to back into 64 KiB
     * buffers, so a burst of small messages costs one write and one flush, not one each. Runs only inside the
     * remote's single-drainer section.
     */
    void writeFrom(Remote r) {
        Object[] items = r.drainItems;
        CompletableFuture<?>[] futures = r.drainFutures;
        int maxFrame = node.options.maxFrameSize();
        ByteBuf buf = null;
        List<CompletableFuture<?>> pending = null;
        int written = 0;
        int n;
        while (ch.isWritable() && (n = r.queue.drain(items, futures, items.length)) > 0) {
            for (int i = 0; i < n; i++) {
                Object item = items[i];
                CompletableFuture<?> f = futures[i];
                items[i] = null;
                futures[i] = null;
                if (buf == null) {
                    buf = ch.alloc().ioBuffer(WRITE_CHUNK + 1024);
                }
                if (item instanceof Message m) {
                    try {
                        WireFormat.writeData(buf, m, maxFrame, r.strings);
                    } catch (FrameTooLargeException e) {
                        r.queue.uncount();
                        node.metrics.framesTooLarge.increment();
                        LOG.warn("not sent to node {}: {}", remoteId, e.getMessage());
                        node.completions.fail(f, e);
                        continue;
                    }
                } else if (item instanceof Frame.Tally t) {
                    WireFormat.writeControl(buf, t);
                    continue;
                } else if (item instanceof byte[] frame) {
                    buf.writeBytes(frame);
                } else {
                    ByteBuf shared = (ByteBuf) item;
                    if (shared.readableBytes() > COPY_LIMIT) {
                        if (buf.isReadable()) {
                            write(buf, pending);
                            pending = null;
                        } else {
                            buf.release();
                        }
                        buf = null;
                        if (f != null) {
                            pending = new ArrayList<>(1);
                            pending.add(f);
                        }
                        write(shared, pending);
                        pending = null;
                        written++;
                        continue;
                    }
                    buf.writeBytes(shared, shared.readerIndex(), shared.readableBytes());
                    shared.release();
                }
                written++;
                if (f != null) {
                    if (pending == null) {
                        pending = new ArrayList<>();
                    }
                    pending.add(f);
                }
                if (buf.readableBytes() >= WRITE_CHUNK) {
                    write(buf, pending);
                    buf = null;
                    pending = null;
                }
            }
        }
        if (buf != null) {
            if (buf.isReadable()) {
                write(buf, pending);
            } else {
                buf.release();
            }
        }
        if (written > 0) {
            node.metrics.messagesSent.add(written);
            ch.flush();
        }
    }

    private void write(ByteBuf buf, List<CompletableFuture<?>> futures) {
        if (futures == null) {
            ch.write(buf, ch.voidPromise());
        } else {
            ch.write(buf).addListener(w -> node.completions.complete(futures, w.isSuccess() ? null
                    : new PeerUnreachableException("write to node " + remoteId + " failed: " + w.cause(),
                            w.cause())));
        }
    }

    @Override
    public String toString() {
        return "NodeLink{" + remoteId + " " + ch.remoteAddress() + " " + state + "}";
    }
}

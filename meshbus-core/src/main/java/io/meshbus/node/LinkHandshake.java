package io.meshbus.node;

import io.meshbus.error.AuthenticationFailedException;
import io.meshbus.error.ErrorCode;
import io.meshbus.error.HandshakeTimeoutException;
import io.meshbus.error.IncompatibleVersionException;
import io.meshbus.error.MeshbusException;
import io.meshbus.error.SelfConnectionException;
import io.meshbus.error.UnexpectedPeerException;
import io.meshbus.internal.RateLimitedLog;
import io.meshbus.node.NodeLink.State;
import io.meshbus.wire.Frame;
import io.meshbus.wire.NodeIds;
import io.meshbus.wire.Protocol;
import io.netty.channel.Channel;
import io.netty.util.concurrent.ScheduledFuture;
import java.util.ArrayDeque;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The handshake of one link, from its channel's activation until the link is active or refused (PROTOCOL.md,
 * "Handshake"): identity checks, the network secret ({@link SecretExchange}), credentials and the authenticator
 * ({@link AuthenticatorCall}), and handing the decision to the arbiter. It owns the handshake timeout, which covers
 * every state before ACTIVE. The link routes here every frame read before it is active (PING and BYE excepted, which
 * it handles in every state), and CHALLENGE or PROOF on an active link.
 *
 * <p>States × frames ("auth" = REJECT {@code AUTHENTICATION_FAILED}, "violation" = REJECT
 * {@code PROTOCOL_VIOLATION}; S = the node has a network secret; checks are version, id, not self, expected id):
 *
 * <table>
 * <caption>What each frame does in each handshake state</caption>
 * <tr><th>state (side)</th><th>HELLO</th><th>ACCEPT</th><th>REJECT</th><th>CREDENTIAL</th><th>CHALLENGE, PROOF</th>
 * <th>other (KEEP, TALLY, DATA)</th></tr>
 * <tr><td>AWAIT_HELLO (acceptor)</td><td>checks; S: send CHALLENGE, AWAIT_NONCE; else AWAIT_CREDENTIAL</td>
 * <td>violation</td><td>violation</td><td>violation</td><td>auth</td><td>violation</td></tr>
 * <tr><td>AWAIT_NONCE (acceptor, S)</td><td>auth</td><td>auth</td><td>refused: close</td><td>auth</td>
 * <td>CHALLENGE: send PROOF, AWAIT_CREDENTIAL; PROOF: auth</td><td>auth</td></tr>
 * <tr><td>AWAIT_CREDENTIAL (acceptor)</td><td>S: auth; else violation</td><td>S: auth; else violation</td>
 * <td>refused: close</td><td>S: AWAIT_PROOF; else run the authenticator, then answer</td><td>auth</td>
 * <td>S: auth; else violation</td></tr>
 * <tr><td>AWAIT_PROOF (acceptor, S)</td><td>auth</td><td>auth</td><td>refused: close</td><td>auth</td>
 * <td>PROOF that checks out: run the authenticator, then answer; otherwise auth</td><td>auth</td></tr>
 * <tr><td>AWAIT_REPLY (dialler)</td><td>S unproven or no CREDENTIAL yet: auth; else checks, must arbitrate,
 * authenticator, then arbitrate</td><td>as HELLO, must not arbitrate; then active</td><td>DUPLICATE_LINK: wait for
 * the kept link; else refused: close</td><td>S unproven: auth; first: kept; second: violation</td><td>CHALLENGE: send
 * PROOF; PROOF that checks out: proven; otherwise auth</td><td>S unproven: auth; else violation</td></tr>
 * <tr><td>AWAIT_DECISION (acceptor, not the arbiter)</td><td>violation</td><td>from the HELLO's id: active; else
 * violation</td><td>the arbiter kept another link: close</td><td>violation</td><td>auth</td><td>violation</td></tr>
 * </table>
 *
 * <p>"Answer" is: send this side's CREDENTIAL; check the HELLO's expected id; then arbitrate (ACCEPT, or REJECT
 * {@code DUPLICATE_LINK}) when this side has the smaller id, else send its own HELLO and go to AWAIT_DECISION. While
 * an authenticator decides, every frame read waits and is handled, in order, after the verdict.
 *
 * <p>Threads: the link's event loop only (the authenticator itself runs on the executor).
 */
final class LinkHandshake {
    private static final Logger LOG = LoggerFactory.getLogger(LinkHandshake.class);

    /** What the handshake may do to its link. */
    interface Link {
        State state();

        void state(State next);

        String remoteId();

        /** The id the other side gave; names the link in logs from now on. */
        void named(String remoteId);

        /** This side has the smaller id: it decides, and the link becomes active or is refused as a duplicate. */
        void arbitrate(Frame.Hello h, boolean replace);

        /** The other side decided to keep this link: it becomes active. */
        void activate(Frame.Accept a);

        /** The arbiter refused this dial as a duplicate: the dial now waits for the link the arbiter kept. */
        void handOver(MeshbusException why, String arbiterId);

        /** The other side refused the link: close it without a word, the dial failing with {@code why}. */
        void refusedBy(MeshbusException why);

        /** Refuses the link: REJECT {@code told}, then close; the dial fails with {@code why}. */
        void reject(MeshbusException why, Frame.Reject told);

        /** Closes the link because of {@code why}, telling the other side. */
        void fail(MeshbusException why);

        void violation(String what);

        void internalError(Throwable t);

        /** Reads again, in order, what arrived while the authenticator decided. */
        void replay(ArrayDeque<Object> reads);

        /** One reason to stop reading ended: apply the read gate. */
        void readGateChanged();
    }

    private final Link link;
    private final Channel ch;
    private final DialContext dial;
    private final LocalNode self;
    private final NodeOptions options;
    private final NodeMetrics metrics;
    private final RateLimitedLog warnings;
    /** Null without a network secret. */
    private final SecretExchange secrets;
    /** Null without an authenticator. */
    private final AuthenticatorCall call;
    private ScheduledFuture<?> timer;
    /** Acceptor: the dialler's HELLO, answered once the dialler is authenticated. */
    private Frame.Hello provenHello;
    /** The other side's credential once its CREDENTIAL arrived, and whether the authenticator accepted it. */
    private byte[] theirCredential;
    private boolean credentialAccepted;
    private String identity;

    LinkHandshake(Link link, Channel ch, DialContext dial, LocalNode self, NodeOptions options, NodeMetrics metrics,
                  RateLimitedLog warnings) {
        this.link = link;
        this.ch = ch;
        this.dial = dial;
        this.self = self;
        this.options = options;
        this.metrics = metrics;
        this.warnings = warnings;
        this.secrets = self.secret() == null ? null : new SecretExchange(self.secret(), dial == null, self.id());
        this.call = self.authenticator() == null ? null : new AuthenticatorCall(self.authenticator(),
                options.executor(), task -> ch.eventLoop().execute(task), self.id());
    }

    /** The identity the authenticator gave the other side, or null. */
    String identity() {
        return identity;
    }

    boolean deciding() {
        return call != null && call.deciding();
    }

    /** Holds a read until the authenticator's verdict (only while {@link #deciding}). */
    void defer(Object msg) {
        call.defer(msg);
    }

    /** Whether an authenticator's pending verdict holds the link's reading. */
    boolean readsPaused() {
        return call != null && call.readsPaused();
    }

    /** Arms the timeout; the dialler opens with HELLO, its CHALLENGE (with a secret) and its CREDENTIAL. */
    void start() {
        long ms = options.handshakeTimeout().toMillis();
        timer = ch.eventLoop().schedule(() -> {
            State s = link.state();
            if (s != State.ACTIVE && s != State.CLOSING) {
                metrics.handshakeTimeouts.increment();
                link.fail(new HandshakeTimeoutException("no handshake from " + ch.remoteAddress() + " within " + ms
                        + " ms"));
            } else if (s == State.CLOSING) {
                // Refused before it was ever active (the timer stops at activation), and its REJECT is still not
                // out: a peer that does not read cannot hold the connection past the handshake time either.
                ch.close();
            }
        }, ms, TimeUnit.MILLISECONDS);
        if (dial != null) {
            ch.writeAndFlush(new Frame.Hello(Protocol.VERSION, self.id(), self.incarnation(), self.advertised().get(),
                    dial.keep(), dial.expectedId() == null ? "" : dial.expectedId(), dial.replace()));
            if (secrets != null) {
                ch.writeAndFlush(secrets.challenge());
            }
            ch.writeAndFlush(new Frame.Credential(self.credentials()));
        }
    }

    /** The link is active or closed: the timeout no longer applies. */
    void stop() {
        if (timer != null) {
            timer.cancel(false);
        }
    }

    /** A frame read before the link is active (or CHALLENGE / PROOF after); see the table above. */
    void onFrame(Frame f) {
        State state = link.state();
        if (f instanceof Frame.Challenge || f instanceof Frame.Proof) {
            onAuthentication(f);
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
        if (secrets != null && !secrets.proven() && !(f instanceof Frame.Reject) && (state == State.AWAIT_REPLY
                || state == State.AWAIT_NONCE || state == State.AWAIT_CREDENTIAL || state == State.AWAIT_PROOF)) {
            authFailed("node " + link.remoteId() + " did not prove the network secret");
            return;
        }
        switch (state) {
            case AWAIT_HELLO -> {
                if (f instanceof Frame.Hello h) {
                    onHello(h);
                } else {
                    link.violation("expected HELLO, got " + f.getClass().getSimpleName());
                }
            }
            case AWAIT_REPLY -> onReply(f);
            case AWAIT_DECISION -> {
                if (f instanceof Frame.Accept a && a.id().equals(link.remoteId())) {
                    link.activate(a);
                } else if (f instanceof Frame.Reject r) {
                    // The arbiter kept another link; nothing failed on this side.
                    link.refusedBy(MeshbusException.of(r.code(), r.text()));
                } else {
                    link.violation("expected ACCEPT or REJECT, got " + f.getClass().getSimpleName());
                }
            }
            case AWAIT_NONCE, AWAIT_CREDENTIAL, AWAIT_PROOF -> link.violation("unexpected "
                    + f.getClass().getSimpleName() + " while waiting for " + (state == State.AWAIT_NONCE ? "CHALLENGE"
                    : state == State.AWAIT_CREDENTIAL ? "CREDENTIAL" : "PROOF"));
            case ACTIVE, CLOSING -> link.violation("unexpected " + f.getClass().getSimpleName() + " on an open link");
        }
    }

    /** Dialler: the acceptor's CREDENTIAL, then its ACCEPT (it arbitrated) or HELLO (this side arbitrates). */
    private void onReply(Frame f) {
        if (f instanceof Frame.Credential c) {
            if (theirCredential != null) {
                link.violation("a second CREDENTIAL");
                return;
            }
            theirCredential = c.token();
        } else if (f instanceof Frame.Accept a) {
            if (!checkIdentity(a.id(), Protocol.VERSION) || !mustArbitrate(a.id(), false)
                    || !authenticated(a.id(), f)) {
                return;
            }
            link.named(a.id());
            link.activate(a);
        } else if (f instanceof Frame.Hello h) {
            if (!checkIdentity(h.id(), h.version()) || !mustArbitrate(h.id(), true) || !authenticated(h.id(), f)) {
                return;
            }
            link.named(h.id());
            link.arbitrate(h, false);
        } else if (f instanceof Frame.Reject r) {
            onReject(r);
        } else {
            link.violation("expected the handshake reply, got " + f.getClass().getSimpleName());
        }
    }

    private void onHello(Frame.Hello h) {
        if (!checkIdentity(h.id(), h.version())) {
            return;
        }
        // Decide nothing before the dialler has proven the secret (if any) and presented its credential.
        link.named(h.id());
        provenHello = h;
        if (secrets != null) {
            link.state(State.AWAIT_NONCE);
            ch.writeAndFlush(secrets.challenge());
        } else {
            link.state(State.AWAIT_CREDENTIAL);
        }
    }

    /** The acceptor has the dialler's credential; with a secret the dialler's proof comes next. */
    private void onCredential(Frame.Credential c) {
        theirCredential = c.token();
        if (secrets != null) {
            link.state(State.AWAIT_PROOF);
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
            ch.write(new Frame.Credential(self.credentials()));
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

    /** Runs the authenticator, if any, on what the other side presented, then {@code accepted} on the event loop. */
    private void authenticate(String id, Runnable accepted) {
        if (call == null) {
            credentialAccepted = true;
            accepted.run();
            return;
        }
        call.decide(new Authenticator.Presented(id, theirCredential, AuthenticatorCall.peerCertificates(ch),
                ch.remoteAddress(), dial == null), v -> onVerdict(v, accepted));
    }

    private void onVerdict(Authenticator.Verdict v, Runnable accepted) {
        if (link.state() == State.CLOSING || !ch.isActive()) {
            call.takeDeferred();
            return;
        }
        try {
            if (!v.accepted()) {
                call.takeDeferred();
                refused(v.reason());
                return;
            }
            credentialAccepted = true;
            identity = v.identity();
            accepted.run();
            link.replay(call.takeDeferred());
        } catch (RuntimeException e) {
            link.internalError(e);
        }
        if (call.resumeReads()) {
            link.readGateChanged();
        }
        ch.flush();
    }

    /**
     * The authenticator refused the other side: this side logs why and counts it; the other side is told only that
     * authentication failed, not why and not who refused it.
     */
    private void refused(String why) {
        metrics.authenticationFailures.increment();
        warnings.warn(LOG, NodeLink.from(ch), "refusing link {} (node {}): {}", ch.remoteAddress(), link.remoteId(),
                why);
        link.reject(new AuthenticationFailedException("node " + self.id() + " refused node " + link.remoteId() + ": "
                + why), new Frame.Reject(ErrorCode.AUTHENTICATION_FAILED, "authentication failed", ""));
    }

    /**
     * The authentication exchange, symmetric: each side sends a fresh nonce (the dialler right after its HELLO, the
     * acceptor when the HELLO arrives), answers the other's nonce with its proof over both nonces, and checks the
     * other's proof. The acceptor decides on the link only once the dialler is proven; the dialler takes no answer
     * before the acceptor is. A missing secret on either side, a proof that does not check out, or anything out of
     * order is an authentication failure.
     */
    private void onAuthentication(Frame f) {
        State state = link.state();
        if (state == State.CLOSING) {
            return;
        }
        if (secrets == null) {
            authFailed("node " + link.remoteId() + " authenticates with a network secret; this node has none");
            return;
        }
        boolean acceptor = dial == null;
        boolean handshaking = acceptor ? state == State.AWAIT_NONCE || state == State.AWAIT_CREDENTIAL
                || state == State.AWAIT_PROOF : state == State.AWAIT_REPLY;
        if (!handshaking || !secrets.challenged()) {
            authFailed("unexpected " + f.getClass().getSimpleName() + " in state " + state);
            return;
        }
        if (f instanceof Frame.Challenge c && secrets.acceptable(c)) {
            if (!acceptor) {
                link.named(c.id());
            }
            ch.writeAndFlush(secrets.answer(c, link.remoteId()));
            if (acceptor) {
                link.state(State.AWAIT_CREDENTIAL);
            }
        } else if (f instanceof Frame.Proof p && secrets.answered() && !secrets.proven()
                && (!acceptor || state == State.AWAIT_PROOF)) {
            if (!secrets.check(p, link.remoteId())) {
                authFailed("node " + link.remoteId() + " did not prove the network secret");
                return;
            }
            if (acceptor) {
                acceptorAuthenticated();
            }
        } else {
            authFailed("unexpected " + f.getClass().getSimpleName() + " during authentication");
        }
    }

    private void authFailed(String why) {
        metrics.authenticationFailures.increment();
        warnings.warn(LOG, NodeLink.from(ch), "refusing link {} (node {}): {}", ch.remoteAddress(), link.remoteId(),
                why);
        reject(new AuthenticationFailedException(why));
    }

    private void reject(MeshbusException e) {
        link.reject(e, NodeLink.rejectFrame(e, self.id()));
    }

    private void proceedWithHello(Frame.Hello h) {
        if (!h.expectedId().isEmpty() && !h.expectedId().equals(self.id())) {
            metrics.handshakesRejected.increment();
            reject(new UnexpectedPeerException("this is node " + self.id() + ", not " + h.expectedId()));
            return;
        }
        link.named(h.id());
        if (self.id().compareTo(h.id()) < 0) {
            link.arbitrate(h, h.replace());
        } else {
            link.state(State.AWAIT_DECISION);
            ch.writeAndFlush(new Frame.Hello(Protocol.VERSION, self.id(), self.incarnation(), self.advertised().get(),
                    self.keeps().test(h.id()), "", false));
        }
    }

    /** Checks a handshake identity; on failure sends REJECT, closes and returns false. */
    private boolean checkIdentity(String id, int version) {
        if (version != Protocol.VERSION) {
            metrics.handshakesRejected.increment();
            reject(new IncompatibleVersionException("protocol version " + version
                    + " is not supported: this node speaks version " + Protocol.VERSION));
            return false;
        }
        if (id.isEmpty()) {
            link.violation("handshake without a node id");
            return false;
        }
        String badId = NodeIds.problem(id);
        if (badId != null) {
            link.violation("handshake with a bad node id: " + badId);
            return false;
        }
        if (id.equals(self.id())) {
            metrics.selfConnections.increment();
            reject(new SelfConnectionException("node " + id + " dialled itself"
                    + (dial != null ? " at " + dial.uri() : "")));
            return false;
        }
        if (dial != null && dial.expectedId() != null && !dial.expectedId().equals(id)) {
            metrics.handshakesRejected.increment();
            reject(new UnexpectedPeerException("expected node " + dial.expectedId() + " at " + dial.uri()
                    + " but node " + id + " answered"));
            return false;
        }
        return true;
    }

    /** The smaller id arbitrates; a reply that contradicts that is a protocol violation. */
    private boolean mustArbitrate(String otherId, boolean weMust) {
        if ((self.id().compareTo(otherId) < 0) != weMust) {
            link.violation("handshake reply from " + otherId + " breaks the arbitration rule");
            return false;
        }
        return true;
    }

    private void onReject(Frame.Reject r) {
        MeshbusException e = MeshbusException.of(r.code(), r.text());
        if (r.code() == ErrorCode.DUPLICATE_LINK && !r.id().isEmpty() && dial != null) {
            link.handOver(e, r.id());
            return;
        }
        metrics.handshakesRejected.increment();
        link.refusedBy(e);
    }
}

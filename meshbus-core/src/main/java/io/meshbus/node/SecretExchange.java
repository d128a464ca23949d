package io.meshbus.node;

import io.meshbus.wire.Frame;
import io.meshbus.wire.Protocol;

/**
 * One side of the challenge and response that proves the network secret (PROTOCOL.md, "Authentication"): it sends
 * a fresh nonce, answers the other side's nonce with its proof over both nonces and both ids, and checks the other
 * side's proof. The role byte ('A' acceptor, 'D' dialler) makes a proof useless when reflected back, and fresh nonces
 * on both sides make a recorded one useless later. It knows nothing of channels or states: the handshake decides when
 * each step may happen, this class only what each step yields.
 *
 * <p>Threads: one link's event loop only; not thread-safe.
 */
final class SecretExchange {
    private final Secret secret;
    private final boolean acceptor;
    private final String selfId;
    private byte[] myNonce;
    private byte[] theirNonce;
    private boolean proven;

    SecretExchange(Secret secret, boolean acceptor, String selfId) {
        this.secret = secret;
        this.acceptor = acceptor;
        this.selfId = selfId;
    }

    /** This side's CHALLENGE, with a fresh nonce: sent once, by the dialler after HELLO, by the acceptor on HELLO. */
    Frame.Challenge challenge() {
        if (myNonce != null) {
            throw new IllegalStateException("this side has sent its challenge already");
        }
        myNonce = Secret.nonce();
        return new Frame.Challenge(selfId, myNonce, new byte[0]);
    }

    /** Whether this side has sent its challenge. */
    boolean challenged() {
        return myNonce != null;
    }

    /** Whether the other side's challenge has been answered. */
    boolean answered() {
        return theirNonce != null;
    }

    /** Whether the other side proved the secret. */
    boolean proven() {
        return proven;
    }

    /** Whether {@code c} may be answered: the other side's first challenge, with a nonce of the right size. */
    boolean acceptable(Frame.Challenge c) {
        return theirNonce == null && c.nonce().length == Protocol.NONCE && c.proof().length == 0;
    }

    /** This side's PROOF for the other side's (acceptable) challenge; {@code remoteId} is the other side's id. */
    Frame.Proof answer(Frame.Challenge c, String remoteId) {
        if (!challenged() || !acceptable(c)) {
            throw new IllegalStateException("not a challenge this side may answer");
        }
        theirNonce = c.nonce().clone();
        return new Frame.Proof(proof(acceptor ? 'A' : 'D', remoteId));
    }

    /** Whether the other side's proof checks out (compared in constant time); once true, it stays proven. */
    boolean check(Frame.Proof p, String remoteId) {
        if (theirNonce == null || proven) {
            throw new IllegalStateException("no proof is due now");
        }
        proven = Secret.same(p.proof(), proof(acceptor ? 'D' : 'A', remoteId));
        return proven;
    }

    private byte[] proof(char role, String remoteId) {
        byte[] dialerNonce = acceptor ? theirNonce : myNonce;
        byte[] acceptorNonce = acceptor ? myNonce : theirNonce;
        String acceptorId = acceptor ? selfId : remoteId;
        String dialerId = acceptor ? remoteId : selfId;
        return secret.proof(role, dialerNonce, acceptorNonce, acceptorId, dialerId);
    }
}

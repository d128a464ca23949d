package io.meshbus.node;

import java.net.SocketAddress;
import java.security.cert.X509Certificate;
import java.util.List;
import java.util.Objects;

/**
 * Decides, once per link and on both sides, whether the node at the other end may link with this one, from what it
 * presented in the handshake: its node id, the credential it sent ({@code NodeOptions.Builder.credentials}), and its
 * verified TLS certificate chain when the link is {@code tls://} or {@code wss://}. A refusal ends the link with
 * {@code AuthenticationFailedException} on the other side, which learns nothing but that; this side logs the reason
 * and counts it in {@code authenticationFailures}. It combines with the network secret: both must pass.
 *
 * <p>Runs on the node's executor, never on an I/O thread, so it may take its time (a lookup, say), but the handshake
 * still has to finish within {@code handshakeTimeout}. An exception or a null verdict is a refusal.
 */
@FunctionalInterface
public interface Authenticator {

    /** Accepts or refuses what one remote presented. */
    Verdict authenticate(Presented presented);

    /**
     * What the other side of a link presented.
     *
     * @param nodeId the id it gave in its handshake
     * @param token its credential, empty when it sent none
     * @param certificates its TLS certificate chain, leaf first, already verified by TLS; empty without TLS or when
     *     it presented no certificate (a client under one-way TLS)
     * @param address where the link comes from or goes to
     * @param dialledIn true when the other side dialled this node, false when this node dialled it
     */
    record Presented(String nodeId, byte[] token, List<X509Certificate> certificates, SocketAddress address,
                     boolean dialledIn) {
        public Presented {
            Objects.requireNonNull(nodeId, "nodeId");
            token = token == null ? new byte[0] : token.clone();
            certificates = List.copyOf(certificates);
        }

        /** A copy: the authenticator may not change what another one sees. */
        @Override
        public byte[] token() {
            return token.clone();
        }
    }

    /** The outcome: accepted (with the identity the remote is known by, if the scheme gives one) or refused. */
    record Verdict(boolean accepted, String identity, String reason) {
        public static Verdict accept() {
            return new Verdict(true, null, null);
        }

        public static Verdict accept(String identity) {
            return new Verdict(true, Objects.requireNonNull(identity, "identity"), null);
        }

        /** The reason is logged on this side only; the remote is told nothing but that authentication failed. */
        public static Verdict refuse(String reason) {
            return new Verdict(false, null, Objects.requireNonNull(reason, "reason"));
        }
    }

    /**
     * Every authenticator must accept; the identity is the first one given. For example tokens and certificates:
     * {@code Authenticator.allOf(CertificateAuthenticator.byCommonName(), TokenAuthenticator.of(tokens))}.
     */
    static Authenticator allOf(Authenticator... authenticators) {
        List<Authenticator> all = List.of(authenticators);
        return presented -> {
            String identity = null;
            for (Authenticator a : all) {
                Verdict v = a.authenticate(presented);
                if (v == null || !v.accepted()) {
                    return v;
                }
                if (identity == null) {
                    identity = v.identity();
                }
            }
            return identity == null ? Verdict.accept() : Verdict.accept(identity);
        };
    }
}

package io.meshbus.node;

import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.SecureRandom;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * A network secret, proven in the handshake by challenge and response: each side proves it knows the secret with an
 * HMAC-SHA256 over both sides' fresh nonces and both ids, labelled by role so a proof cannot be reflected back. The
 * secret itself never travels, a recorded proof is useless against new nonces, and proofs are compared in constant
 * time.
 */
final class Secret {
    private static final SecureRandom RANDOM = new SecureRandom();
    private final SecretKeySpec key;

    Secret(byte[] secret) {
        if (secret.length < 16) {
            throw new IllegalArgumentException("secret: at least 16 bytes, was " + secret.length);
        }
        this.key = new SecretKeySpec(secret.clone(), "HmacSHA256");
    }

    static byte[] nonce() {
        byte[] n = new byte[16];
        RANDOM.nextBytes(n);
        return n;
    }

    /** The proof of the node in {@code role} ('A' acceptor, 'D' dialler) for these nonces and ids. */
    byte[] proof(char role, byte[] dialerNonce, byte[] acceptorNonce, String acceptorId, String dialerId) {
        try {
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(key);
            mac.update((byte) role);
            mac.update(dialerNonce);
            mac.update(acceptorNonce);
            mac.update(acceptorId.getBytes(StandardCharsets.UTF_8));
            mac.update((byte) 0);
            mac.update(dialerId.getBytes(StandardCharsets.UTF_8));
            return mac.doFinal();
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("HmacSHA256 is not available", e);
        }
    }

    static boolean same(byte[] a, byte[] b) {
        return MessageDigest.isEqual(a, b);
    }
}

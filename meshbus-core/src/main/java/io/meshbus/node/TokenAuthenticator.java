package io.meshbus.node;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;

/**
 * Accepts a remote whose credential is one of a set of tokens, and names it by the identity the token belongs to.
 * Tokens are kept and compared as SHA-256 digests, every accepted token every time, so neither the time taken nor an
 * early exit tells which token (or how much of one) matched. A token travels as it is: use it over {@code tls://} or
 * {@code wss://}, or with the network secret and a private network.
 */
public final class TokenAuthenticator implements Authenticator {
    private final List<byte[]> digests;
    private final List<String> identities;

    private TokenAuthenticator(List<byte[]> digests, List<String> identities) {
        this.digests = digests;
        this.identities = identities;
    }

    /** Tokens by the identity they stand for. */
    public static TokenAuthenticator of(Map<String, byte[]> tokensByIdentity) {
        List<byte[]> d = new ArrayList<>();
        List<String> ids = new ArrayList<>();
        tokensByIdentity.forEach((identity, token) -> {
            d.add(digest(check(token)));
            ids.add(identity);
        });
        return new TokenAuthenticator(List.copyOf(d), ids);
    }

    /** Tokens that carry no identity of their own: an accepted remote is known by its node id. */
    public static TokenAuthenticator anyOf(Collection<byte[]> tokens) {
        List<byte[]> d = new ArrayList<>();
        List<String> ids = new ArrayList<>();
        for (byte[] t : tokens) {
            d.add(digest(check(t)));
            ids.add(null);
        }
        return new TokenAuthenticator(List.copyOf(d), ids);
    }

    /** UTF-8 tokens that carry no identity of their own. */
    public static TokenAuthenticator anyOfStrings(Collection<String> tokens) {
        return anyOf(tokens.stream().map(t -> t.getBytes(StandardCharsets.UTF_8)).toList());
    }

    private static byte[] check(byte[] token) {
        if (token == null || token.length == 0) {
            // An empty token is what a node without credentials sends: accepting it would accept everyone.
            throw new IllegalArgumentException("token: must not be empty");
        }
        return token;
    }

    private static byte[] digest(byte[] b) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(b);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is not available", e);
        }
    }

    @Override
    public Verdict authenticate(Presented presented) {
        byte[] token = presented.token();
        if (token.length == 0) {
            return Verdict.refuse("node " + presented.nodeId() + " presented no token");
        }
        byte[] d = digest(token);
        int match = -1;
        for (int i = 0; i < digests.size(); i++) {
            // No early exit: every comparison runs whichever token matches.
            boolean same = MessageDigest.isEqual(d, digests.get(i));
            match = same && match < 0 ? i : match;
        }
        if (match < 0) {
            return Verdict.refuse("node " + presented.nodeId() + " presented a token that is not accepted");
        }
        String identity = identities.get(match);
        return Verdict.accept(identity != null ? identity : presented.nodeId());
    }
}

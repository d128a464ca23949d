package io.meshbus.node;

import java.security.cert.CertificateParsingException;
import java.security.cert.X509Certificate;
import java.util.Collection;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.function.Function;
import java.util.function.Predicate;
import javax.naming.InvalidNameException;
import javax.naming.ldap.LdapName;
import javax.naming.ldap.Rdn;

/**
 * Mutual-TLS identities: names the remote by its certificate (the subject's common name, or a subject alternative
 * name) and accepts it when that identity is allowed. The chain itself was already verified by TLS against the
 * configured authorities; this only maps a verified certificate to an identity. A link without a certificate (plain
 * tcp, or a client under one-way TLS) is refused, so use it with {@code TlsConfig} in mutual mode. Immutable: each
 * {@code allowing} / {@code requiringNodeId} returns a new authenticator.
 */
public final class CertificateAuthenticator implements Authenticator {
    private static final int SAN_DNS = 2;
    private static final int SAN_URI = 6;

    private final String source;
    private final Function<X509Certificate, Optional<String>> identityOf;
    private final Predicate<String> allowed;
    private final boolean bindNodeId;

    private CertificateAuthenticator(String source, Function<X509Certificate, Optional<String>> identityOf,
                                     Predicate<String> allowed, boolean bindNodeId) {
        this.source = source;
        this.identityOf = identityOf;
        this.allowed = allowed;
        this.bindNodeId = bindNodeId;
    }

    /** The identity is the most specific CN of the certificate's subject. Any identity is allowed. */
    public static CertificateAuthenticator byCommonName() {
        return new CertificateAuthenticator("subject CN", CertificateAuthenticator::commonName, id -> true, false);
    }

    /** The identity is the first DNS subject alternative name. Any identity is allowed. */
    public static CertificateAuthenticator bySanDns() {
        return new CertificateAuthenticator("DNS SAN", c -> san(c, SAN_DNS, ""), id -> true, false);
    }

    /**
     * The identity is the first URI subject alternative name starting with {@code prefix}, without the prefix
     * (e.g. prefix {@code spiffe://example.org/meshbus/}). Any identity is allowed.
     */
    public static CertificateAuthenticator bySanUri(String prefix) {
        Objects.requireNonNull(prefix, "prefix");
        return new CertificateAuthenticator("URI SAN " + prefix, c -> san(c, SAN_URI, prefix), id -> true, false);
    }

    /** Only these identities are accepted. */
    public CertificateAuthenticator allowing(Collection<String> identities) {
        Set<String> set = Set.copyOf(identities);
        return new CertificateAuthenticator(source, identityOf, set::contains, bindNodeId);
    }

    /** Only identities this predicate accepts. */
    public CertificateAuthenticator allowing(Predicate<String> predicate) {
        return new CertificateAuthenticator(source, identityOf, Objects.requireNonNull(predicate), bindNodeId);
    }

    /**
     * The identity must also equal the node id the remote gave, so a certificate holder cannot link under another
     * node's id.
     */
    public CertificateAuthenticator requiringNodeId() {
        return new CertificateAuthenticator(source, identityOf, allowed, true);
    }

    @Override
    public Verdict authenticate(Presented presented) {
        List<X509Certificate> chain = presented.certificates();
        if (chain.isEmpty()) {
            return Verdict.refuse("node " + presented.nodeId() + " presented no TLS certificate");
        }
        Optional<String> identity = identityOf.apply(chain.get(0));
        if (identity.isEmpty() || identity.get().isEmpty()) {
            return Verdict.refuse("the certificate of node " + presented.nodeId() + " has no " + source);
        }
        String id = identity.get();
        if (bindNodeId && !id.equals(presented.nodeId())) {
            return Verdict.refuse("the certificate names " + id + " but the node calls itself "
                    + presented.nodeId());
        }
        if (!allowed.test(id)) {
            return Verdict.refuse("certificate identity " + id + " (node " + presented.nodeId()
                    + ") is not allowed");
        }
        return Verdict.accept(id);
    }

    private static Optional<String> commonName(X509Certificate c) {
        try {
            List<Rdn> rdns = new LdapName(c.getSubjectX500Principal().getName()).getRdns();
            // LdapName lists the least specific part first; the leaf's own name is the last CN.
            for (int i = rdns.size() - 1; i >= 0; i--) {
                if (rdns.get(i).getType().equalsIgnoreCase("CN")) {
                    return Optional.of(rdns.get(i).getValue().toString());
                }
            }
            return Optional.empty();
        } catch (InvalidNameException e) {
            return Optional.empty();
        }
    }

    private static Optional<String> san(X509Certificate c, int type, String prefix) {
        try {
            Collection<List<?>> names = c.getSubjectAlternativeNames();
            if (names == null) {
                return Optional.empty();
            }
            for (List<?> n : names) {
                if (n.size() >= 2 && n.get(0) instanceof Integer t && t == type && n.get(1) instanceof String v
                        && v.startsWith(prefix)) {
                    return Optional.of(v.substring(prefix.length()));
                }
            }
            return Optional.empty();
        } catch (CertificateParsingException e) {
            return Optional.empty();
        }
    }

    @Override
    public String toString() {
        return "CertificateAuthenticator{" + source + (bindNodeId ? ", = node id" : "") + "}";
    }
}

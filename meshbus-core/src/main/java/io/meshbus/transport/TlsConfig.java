package io.meshbus.transport;

import io.netty.handler.ssl.ClientAuth;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.util.Objects;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLException;
import javax.net.ssl.TrustManagerFactory;

/**
 * TLS settings of a node: its own certificate and key, the authorities it trusts, and whether it requires a
 * certificate from the other side too (mutual TLS). Certificates come from PEM files or key stores. Clients check that
 * the server's certificate names the host they dialled.
 */
public final class TlsConfig {
    private final SslContext server;
    private final SslContext client;

    private TlsConfig(SslContext server, SslContext client) {
        this.server = server;
        this.client = client;
    }

    /** From PEM files: certificate chain, PKCS#8 private key, trusted authorities. */
    public static TlsConfig fromPem(Path certificateChain, Path privateKey, Path trustedAuthorities, boolean mutual) {
        try {
            SslContext server = SslContextBuilder.forServer(certificateChain.toFile(), privateKey.toFile())
                    .trustManager(trustedAuthorities.toFile())
                    .clientAuth(mutual ? ClientAuth.REQUIRE : ClientAuth.NONE).build();
            SslContext client = SslContextBuilder.forClient().keyManager(certificateChain.toFile(), privateKey.toFile())
                    .trustManager(trustedAuthorities.toFile()).endpointIdentificationAlgorithm("HTTPS").build();
            return new TlsConfig(server, client);
        } catch (SSLException e) {
            throw new IllegalArgumentException("tls: cannot use the PEM files: " + e.getMessage(), e);
        }
    }

    /** From PKCS#12 (or JKS) key stores: one with this node's key and certificate, one with trusted authorities. */
    public static TlsConfig fromKeyStores(Path keyStore, char[] keyStorePassword, Path trustStore,
                                          char[] trustStorePassword, boolean mutual) {
        try {
            KeyManagerFactory kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
            kmf.init(load(keyStore, keyStorePassword), keyStorePassword);
            TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
            tmf.init(load(trustStore, trustStorePassword));
            SslContext server = SslContextBuilder.forServer(kmf).trustManager(tmf)
                    .clientAuth(mutual ? ClientAuth.REQUIRE : ClientAuth.NONE).build();
            SslContext client = SslContextBuilder.forClient().keyManager(kmf).trustManager(tmf)
                    .endpointIdentificationAlgorithm("HTTPS").build();
            return new TlsConfig(server, client);
        } catch (IOException | GeneralSecurityException e) {
            throw new IllegalArgumentException("tls: cannot use the key stores: " + e.getMessage(), e);
        }
    }

    private static KeyStore load(Path p, char[] password) throws IOException, GeneralSecurityException {
        Objects.requireNonNull(p, "key store path");
        KeyStore ks = KeyStore.getInstance(KeyStore.getDefaultType());
        try (InputStream in = Files.newInputStream(p)) {
            ks.load(in, password);
        }
        return ks;
    }

    SslContext server() {
        return server;
    }

    SslContext client() {
        return client;
    }
}

package io.meshbus.node;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.meshbus.error.AuthenticationFailedException;
import io.meshbus.message.Message;
import io.meshbus.transport.TestCertificates;
import io.meshbus.transport.TlsConfig;
import java.net.URI;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** tls:// links with certificates made at run time: trusted works; plain text, untrusted and expired are refused. */
class TlsTest {
    @TempDir
    static Path dir;
    static TlsConfig good;
    static TlsConfig goodMutual;
    static TlsConfig untrusted;
    static TlsConfig expired;
    static TlsConfig strangerTrustingUs;
    static Nodes nodes;

    @BeforeAll
    static void certificates() throws Exception {
        TestCertificates certs = new TestCertificates(dir);
        Path trust = certs.authority("ca-one");
        Path otherTrust = certs.authority("ca-two");
        char[] pw = TestCertificates.PASSWORD;
        good = TlsConfig.fromKeyStores(certs.node("good", "ca-one", 0, 2), pw, trust, pw, false);
        goodMutual = TlsConfig.fromKeyStores(certs.node("good2", "ca-one", 0, 2), pw, trust, pw, true);
        Path strangerKeys = certs.node("stranger", "ca-two", 0, 2);
        untrusted = TlsConfig.fromKeyStores(strangerKeys, pw, otherTrust, pw, false);
        strangerTrustingUs = TlsConfig.fromKeyStores(strangerKeys, pw, trust, pw, false);
        expired = TlsConfig.fromKeyStores(certs.node("old", "ca-one", -10, 1), pw, trust, pw, false);
        nodes = new Nodes("tcp");
    }

    @AfterAll
    static void close() {
        nodes.close();
    }

    private static Node tls(String id, TlsConfig config) {
        return nodes.start(Node.builder(Nodes.uniqueId(id)).listen("tls://127.0.0.1:0").tls(config));
    }

    @Test
    void shouldLinkOverTlsWithTrustedCertificates() throws Exception {
        Node a = tls("a", good);
        Node b = tls("b", goodMutual);
        assertThat(b.info().getScheme()).isEqualTo("tls");
        Nodes.Recorder rb = Nodes.record(b);
        assertThat(a.connect(b.info()).get(10, TimeUnit.SECONDS)).isEqualTo(b.id());
        a.send(b.id(), Message.of("secret stuff"));
        assertThat(rb.nextMessage().message().payloadText()).isEqualTo("secret stuff");
    }

    @Test
    void shouldLinkOverWebSocketWithTls() throws Exception {
        Node a = nodes.start(Node.builder(Nodes.uniqueId("wa")).listen("wss://127.0.0.1:0").tls(good));
        Node b = nodes.start(Node.builder(Nodes.uniqueId("wb")).listen("wss://127.0.0.1:0").tls(good));
        assertThat(b.info().getScheme()).isEqualTo("wss");
        Nodes.Recorder rb = Nodes.record(b);
        assertThat(a.connect(b.info()).get(10, TimeUnit.SECONDS)).isEqualTo(b.id());
        a.send(b.id(), Message.of("over wss"));
        assertThat(rb.nextMessage().message().payloadText()).isEqualTo("over wss");
        Node stranger = nodes.start(Node.builder(Nodes.uniqueId("ws")).tls(untrusted));
        assertThatThrownBy(() -> stranger.connect(b.info()).get(10, TimeUnit.SECONDS))
                .hasCauseInstanceOf(AuthenticationFailedException.class);
    }

    @Test
    void shouldRefusePlainTextToATlsPort() throws Exception {
        Node guarded = tls("g", good);
        Node plain = nodes.start(Nodes.uniqueId("p"));
        URI asTcp = URI.create("tcp://127.0.0.1:" + guarded.info().getPort());
        assertThatThrownBy(() -> plain.connect(asTcp).get(10, TimeUnit.SECONDS)).isNotNull();
        await().atMost(Nodes.WAIT).until(() -> guarded.metrics().authenticationFailures() >= 1);
        assertThat(guarded.connections()).isEmpty();
    }

    @Test
    void shouldRefuseAnUntrustedCertificate() {
        Node guarded = tls("g", good);
        Node stranger = tls("s", untrusted);
        assertThatThrownBy(() -> stranger.connect(guarded.info()).get(10, TimeUnit.SECONDS))
                .hasCauseInstanceOf(AuthenticationFailedException.class);
        assertThat(stranger.metrics().authenticationFailures()).isPositive();
        assertThat(guarded.connections()).isEmpty();
    }

    @Test
    void shouldRefuseAnExpiredCertificate() {
        Node old = tls("o", expired);
        Node client = tls("c", good);
        assertThatThrownBy(() -> client.connect(old.info()).get(10, TimeUnit.SECONDS))
                .hasCauseInstanceOf(AuthenticationFailedException.class)
                .cause().hasMessageContaining("TLS");
    }

    @Test
    void shouldRequireAClientCertificateTheServerTrustsUnderMutualTls() {
        // The client trusts the server, but the server (mutual TLS) does not trust the client's certificate.
        Node server = tls("m", goodMutual);
        Node stranger = tls("s", strangerTrustingUs);
        assertThatThrownBy(() -> stranger.connect(server.info()).get(10, TimeUnit.SECONDS)).isNotNull();
        await().atMost(Nodes.WAIT).until(() -> server.metrics().authenticationFailures() >= 1);
        assertThat(server.connections()).isEmpty();
        // Without mutual TLS the same client is accepted.
        Node open = tls("n", good);
        assertThat(stranger.connect(open.info()).join()).isEqualTo(open.id());
    }

    @Test
    void shouldReadPemFilesAsTheCommandLineGivesThem() throws Exception {
        org.junit.jupiter.api.Assumptions.assumeTrue(java.nio.file.Files.isExecutable(Path.of("/usr/bin/openssl")),
                "openssl converts the test key store to PEM; not installed");
        Path pem = dir.resolve("good2-all.pem");
        Process p = new ProcessBuilder("/usr/bin/openssl", "pkcs12", "-in", dir.resolve("good2.p12").toString(),
                "-nodes", "-passin", "pass:" + new String(TestCertificates.PASSWORD), "-out", pem.toString())
                .redirectErrorStream(true).start();
        p.getInputStream().readAllBytes();
        assertThat(p.waitFor(30, TimeUnit.SECONDS)).isTrue();
        String all = java.nio.file.Files.readString(pem);
        Path key = dir.resolve("good2.key");
        Path chain = dir.resolve("good2.chain");
        java.nio.file.Files.writeString(key, all.substring(all.indexOf("-----BEGIN PRIVATE KEY-----"),
                all.indexOf("-----END PRIVATE KEY-----") + "-----END PRIVATE KEY-----".length()) + "\n");
        // The node's own certificate (subject localhost); the authority is in the trusted file.
        StringBuilder leaf = new StringBuilder();
        String endMark = "-----END CERTIFICATE-----";
        for (String part : all.split(endMark)) {
            int at = part.indexOf("-----BEGIN CERTIFICATE-----");
            if (at >= 0) {
                String header = part.substring(0, at);
                if (header.contains("localhost")) {
                    leaf.append(part.substring(at)).append(endMark).append('\n');
                }
            }
        }
        java.nio.file.Files.writeString(chain, leaf.toString());
        TlsConfig fromPem = TlsConfig.fromPem(chain, key, dir.resolve("ca-one.crt"), false);
        Node a = tls("pem", fromPem);
        Node b = tls("b", good);
        assertThat(b.connect(a.info()).get(10, TimeUnit.SECONDS)).isEqualTo(a.id());
    }
}

package io.meshbus.node;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.meshbus.error.AuthenticationFailedException;
import io.meshbus.message.Message;
import io.meshbus.transport.TestCertificates;
import io.meshbus.transport.TlsConfig;
import java.nio.file.Path;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Mutual-TLS identities: a remote is named by its certificate and refused when that name is not allowed. */
class CertificateAuthenticationTest {
    private static final String SAN = "meshbus://node/";
    @TempDir
    static Path dir;
    static final String ALICE_ID = Nodes.uniqueId("alice");
    static TlsConfig serverMutual;
    static TlsConfig serverOneWay;
    static TlsConfig alice;
    static TlsConfig mallory;
    static Nodes nodes;

    @BeforeAll
    static void certificates() throws Exception {
        TestCertificates certs = new TestCertificates(dir);
        Path trust = certs.authority("ca");
        char[] pw = TestCertificates.PASSWORD;
        Path serverKeys = certs.node("server", "ca", "server", "");
        serverMutual = TlsConfig.fromKeyStores(serverKeys, pw, trust, pw, true);
        serverOneWay = TlsConfig.fromKeyStores(serverKeys, pw, trust, pw, false);
        alice = TlsConfig.fromKeyStores(certs.node("alice", "ca", "alice", "uri:" + SAN + ALICE_ID), pw, trust, pw,
                false);
        // Signed by the same authority, so TLS accepts it: only the authenticator can tell mallory apart.
        mallory = TlsConfig.fromKeyStores(certs.node("mallory", "ca", "mallory", "uri:" + SAN + ALICE_ID), pw, trust,
                pw, false);
        nodes = new Nodes("tcp");
    }

    @AfterAll
    static void close() {
        nodes.close();
    }

    private static Node tls(String id, TlsConfig config, Authenticator auth) {
        return nodes.start(Node.builder(id).listen("tls://127.0.0.1:0").tls(config).authenticator(auth));
    }

    @Test
    void shouldNameBothSidesByTheirCertificatesAndRefuseAnotherName() throws Exception {
        Node server = tls(Nodes.uniqueId("s"), serverMutual,
                CertificateAuthenticator.byCommonName().allowing(Set.of("alice")));
        Node a = tls(Nodes.uniqueId("a"), alice, CertificateAuthenticator.byCommonName().allowing(Set.of("server")));
        Nodes.Recorder rs = Nodes.record(server);
        assertThat(a.connect(server.info()).get(10, TimeUnit.SECONDS)).isEqualTo(server.id());
        assertThat(a.identity(server.id())).contains("server");
        await().atMost(Nodes.WAIT).until(() -> server.identity(a.id()).isPresent());
        assertThat(server.identity(a.id())).contains("alice");
        a.send(server.id(), Message.of("hi"));
        assertThat(rs.nextMessage().message().payloadText()).isEqualTo("hi");

        Node m = tls(Nodes.uniqueId("m"), mallory, null);
        assertThatThrownBy(() -> m.connect(server.info()).get(10, TimeUnit.SECONDS))
                .hasCauseInstanceOf(AuthenticationFailedException.class);
        await().atMost(Nodes.WAIT).until(() -> server.metrics().authenticationFailures() == 1);
        assertThat(server.connections()).containsExactly(a.id());
    }

    @Test
    void shouldBindTheCertificateToTheNodeId() throws Exception {
        Node server = tls(Nodes.uniqueId("s"), serverMutual,
                CertificateAuthenticator.bySanUri(SAN).requiringNodeId());
        Node a = tls(ALICE_ID, alice, null);
        assertThat(a.connect(server.info()).get(10, TimeUnit.SECONDS)).isEqualTo(server.id());
        await().atMost(Nodes.WAIT).until(() -> server.identity(ALICE_ID).isPresent());
        assertThat(server.identity(ALICE_ID)).contains(ALICE_ID);
        // The same certificate under another node id is refused.
        Node impostor = tls(Nodes.uniqueId("imp"), alice, null);
        assertThatThrownBy(() -> impostor.connect(server.info()).get(10, TimeUnit.SECONDS))
                .hasCauseInstanceOf(AuthenticationFailedException.class);
        assertThat(server.metrics().authenticationFailures()).isEqualTo(1);
    }

    @Test
    void shouldRefuseARemoteWithoutACertificate() {
        // One-way TLS: the client shows no certificate, so there is no identity to read.
        Node oneWay = tls(Nodes.uniqueId("s"), serverOneWay, CertificateAuthenticator.byCommonName());
        Node client = tls(Nodes.uniqueId("c"), alice, null);
        assertThatThrownBy(() -> client.connect(oneWay.info()).get(10, TimeUnit.SECONDS))
                .hasCauseInstanceOf(AuthenticationFailedException.class);
        // Plain tcp: no TLS at all.
        Node plain = nodes.start(Node.builder(Nodes.uniqueId("p")).listen("tcp://127.0.0.1:0")
                .authenticator(CertificateAuthenticator.byCommonName()));
        Node other = nodes.start(Nodes.uniqueId("o"));
        assertThatThrownBy(() -> other.connect(plain.info()).get(10, TimeUnit.SECONDS))
                .hasCauseInstanceOf(AuthenticationFailedException.class);
        await().atMost(Nodes.WAIT).until(() -> oneWay.metrics().authenticationFailures() == 1
                && plain.metrics().authenticationFailures() == 1);
    }
}

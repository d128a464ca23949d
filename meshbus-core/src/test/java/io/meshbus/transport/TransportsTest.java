package io.meshbus.transport;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.URI;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

class TransportsTest {
    private static final LinkInitializer NOTHING = (ch, accepted) -> { };

    @Test
    void shouldFindBuiltInTransportsByScheme() {
        Transports t = Transports.discover();
        assertThat(t.forUri(URI.create("tcp://127.0.0.1:1"))).isInstanceOf(TcpTransport.class);
        assertThat(t.forUri(URI.create("mem://x"))).isInstanceOf(MemTransport.class);
        assertThatThrownBy(() -> t.forUri(URI.create("carrier-pigeon://x")))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("mem, tcp");
    }

    @Test
    void shouldReportTheRealPortOfTheExactAddressBound() throws Exception {
        Listener l = new TcpTransport().listen(URI.create("tcp://127.0.0.1:0"), NOTHING).get(10, TimeUnit.SECONDS);
        try {
            assertThat(l.address().getHost()).isEqualTo("127.0.0.1");
            assertThat(l.address().getPort()).isPositive();
        } finally {
            l.close().get(10, TimeUnit.SECONDS);
        }
    }

    @Test
    void shouldNeverAdvertiseAWildcardAddress() throws Exception {
        Listener l = new TcpTransport().listen(URI.create("tcp://0.0.0.0:0"), NOTHING).get(10, TimeUnit.SECONDS);
        try {
            assertThat(l.address().getHost()).isNotIn("0.0.0.0", "[::]", "[0:0:0:0:0:0:0:0]");
            assertThat(l.address().getPort()).isPositive();
        } finally {
            l.close().get(10, TimeUnit.SECONDS);
        }
    }

    @Test
    void shouldFailAConnectToANonListeningAddressWithATypedError() throws Exception {
        Listener l = new TcpTransport().listen(URI.create("tcp://127.0.0.1:0"), NOTHING).get(10, TimeUnit.SECONDS);
        URI gone = l.address();
        l.close().get(10, TimeUnit.SECONDS);
        assertThatThrownBy(() -> new TcpTransport().connect(gone, NOTHING, Duration.ofSeconds(5))
                .get(10, TimeUnit.SECONDS)).hasCauseInstanceOf(io.meshbus.error.PeerUnreachableException.class);
        assertThatThrownBy(() -> new MemTransport().connect(URI.create("mem://nobody-here"), NOTHING,
                Duration.ofSeconds(5)).get(10, TimeUnit.SECONDS))
                .hasCauseInstanceOf(io.meshbus.error.PeerUnreachableException.class);
    }

    @Test
    void shouldRefuseMalformedUris() {
        assertThat(new TcpTransport().listen(URI.create("tcp://127.0.0.1"), NOTHING)).isCompletedExceptionally();
        assertThat(new MemTransport().listen(URI.create("mem:opaque"), NOTHING)).isCompletedExceptionally();
    }
}

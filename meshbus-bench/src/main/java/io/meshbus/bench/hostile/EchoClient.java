package io.meshbus.bench.hostile;

import io.meshbus.bench.Contender;
import io.meshbus.bench.Waits;
import io.meshbus.bus.Host;
import io.meshbus.bus.Peer;
import io.meshbus.codec.ContentType;
import io.meshbus.message.Headers;
import io.meshbus.message.Message;
import java.io.IOException;
import java.net.URI;
import java.time.Duration;
import java.util.UUID;

/**
 * The normal client: a host in this JVM with default options, joined to the host under attack over tcp, whose peer
 * requests the echo peer, one request at a time, each within {@link #TIMEOUT}.
 */
final class EchoClient implements AutoCloseable {
    static final Duration TIMEOUT = Duration.ofSeconds(10);

    private final Host host;
    private final Peer peer;
    private final byte[] payload;

    private EchoClient(Host host, Peer peer, byte[] payload) {
        this.host = host;
        this.peer = peer;
        this.payload = payload;
    }

    /** Joins the host at {@code tcp} and looks the echo peer up, so the first request does not wait for that. */
    static EchoClient join(URI tcp, int size) throws Exception {
        String id = "normal-" + UUID.randomUUID().toString().substring(0, 8);
        Host host = Waits.await(Host.builder().id(id).build().start());
        try {
            Waits.await(host.join(tcp.toString()));
            Peer peer = host.create(id);
            Waits.await(host.find(HostProcess.ECHO));
            return new EchoClient(host, peer, Contender.payload(size));
        } catch (Exception e) {
            host.close();
            throw e;
        }
    }

    /** One request to the echo peer; throws unless its echo comes back within the timeout. */
    void request() throws Exception {
        Message m = Message.ofBytes(Headers.EMPTY, ContentType.BYTES, payload);
        Message reply = Waits.await(peer.request(HostProcess.ECHO, m, TIMEOUT), TIMEOUT.plusSeconds(5));
        if (reply.payloadSize() != payload.length) {
            throw new IOException("the echo has " + reply.payloadSize() + " bytes, not " + payload.length);
        }
    }

    @Override
    public void close() throws IOException {
        Waits.closed(host.close(), "host " + host.id());
    }
}

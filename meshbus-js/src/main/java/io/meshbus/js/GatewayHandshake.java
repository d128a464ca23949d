package io.meshbus.js;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.meshbus.bus.Host;
import io.meshbus.bus.Peer;
import io.meshbus.error.ErrorCode;
import io.meshbus.error.MeshbusException;
import io.meshbus.error.ProtocolViolationException;
import io.meshbus.js.GatewayMetrics.Counter;
import java.net.SocketAddress;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.util.Base64;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A browser connection's way in: its origin at the WebSocket upgrade, then its hello (protocol version 1, a peer id
 * of at most 256 characters), the {@link Authenticator}, the take-over of the id from the same browser's older
 * connection (only with that connection's resume token or the authenticator's word; never from another kind of
 * peer), and its admission as a peer of the host. Every refusal is counted
 * and ends the connection with a typed error; the refused learn nothing but the error.
 *
 * <p>Threads: one per gateway, shared by its connections. The origin is checked on the event loop; hello and
 * admission run on the connection's serial queue, where the authenticator may block.
 */
final class GatewayHandshake {
    private static final Logger LOG = LoggerFactory.getLogger(GatewayHandshake.class);
    private static final SecureRandom RANDOM = new SecureRandom();

    /** What a joining connection offers its handshake. */
    interface Joining {
        /** Its Origin header, or null (not a browser). */
        String origin();

        SocketAddress remoteAddress();

        /** The connection, or the gateway, closed meanwhile: admission stops. */
        boolean gone();

        /** The hello was taken; nothing else may come before the welcome. */
        void authenticating();

        /** Admitted as this peer: the connection is open. */
        void admitted(Peer peer);

        void fail(ErrorCode code, String message);

        /** Runs a task on the connection's serial queue. */
        void later(Runnable task);
    }

    private final Host host;
    private final BrowserGateway.Options options;
    private final GatewayMetrics metrics;
    private final Map<String, GatewayConnection> byPeer;

    GatewayHandshake(Host host, BrowserGateway.Options options, GatewayMetrics metrics,
                     Map<String, GatewayConnection> byPeer) {
        this.host = host;
        this.options = options;
        this.metrics = metrics;
        this.byPeer = byPeer;
    }

    /** Refuses a page from a foreign origin; true when the connection may go on to its hello. */
    boolean checkOrigin(Joining c, String hostHeader) {
        if (originAllowed(c.origin(), hostHeader, options.allowedOrigins())) {
            return true;
        }
        metrics.count(Counter.ORIGIN_REJECTED);
        metrics.count(Counter.REFUSED);
        c.fail(ErrorCode.NOT_AUTHORIZED, "origin " + c.origin() + " is not allowed here");
        return false;
    }

    /**
     * No Origin (not a browser), an allowed one ({@code *} allows any), or the gateway's own origin: the page came
     * from this very server.
     */
    static boolean originAllowed(String origin, String hostHeader, Set<String> allowed) {
        if (origin == null || allowed.contains("*") || allowed.contains(origin)) {
            return true;
        }
        String o = origin.replaceFirst("^https?://", "");
        return hostHeader != null && o.equalsIgnoreCase(hostHeader);
    }

    /** The connection's first frame. */
    void hello(Joining c, Frames.Inbound f) {
        long v = f.number("v", -1);
        if (v != 1) {
            metrics.count(Counter.REFUSED);
            c.fail(ErrorCode.INCOMPATIBLE_VERSION, "this gateway speaks protocol version 1, the client " + v);
            return;
        }
        String id = f.required("id");
        if (id.length() > 256) {
            throw new ProtocolViolationException("peer id longer than 256 characters");
        }
        c.authenticating();
        String why = authenticate(c, id, f.text("token"));
        if (why != null) {
            metrics.count(Counter.AUTH_FAILURES);
            metrics.count(Counter.REFUSED);
            c.fail(ErrorCode.AUTHENTICATION_FAILED, "peer " + id + " refused: " + why);
            return;
        }
        if (c.gone()) {
            return;
        }
        GatewayConnection old = byPeer.get(id);
        if (old == null) {
            admit(c, id);
            return;
        }
        // The id is in use here: only the same client may take it over (its reconnect, which shows the resume token
        // its older connection was welcomed with, or one the authenticator vouches for); anyone else is refused and
        // the connected browser keeps its id.
        if (!sameClient(c, id, f.text("resume"), old)) {
            metrics.count(Counter.REFUSED);
            c.fail(ErrorCode.PEER_ID_TAKEN, "peer id " + id + " is in use by a connected client");
            return;
        }
        // It waits for the older connection's clean-up without holding an executor thread.
        old.fail(ErrorCode.CLOSED, "peer " + id + " connected again; this connection is replaced");
        old.cleanedUp().orTimeout(10, TimeUnit.SECONDS).whenComplete((done, e) -> c.later(() -> admit(c, id)));
    }

    private boolean sameClient(Joining c, String id, String resume, GatewayConnection old) {
        String token = old.resumeToken();
        if (resume != null && token != null && MessageDigest.isEqual(resume.getBytes(StandardCharsets.UTF_8),
                token.getBytes(StandardCharsets.UTF_8))) {
            return true;
        }
        Authenticator auth = options.authenticator();
        if (auth == null) {
            return false;
        }
        try {
            return auth.mayTakeOver(new Authenticator.Credentials(id, null, c.origin(), c.remoteAddress()));
        } catch (Exception e) {
            LOG.warn("authenticator failed on a take-over of peer {} from {}", id, c.remoteAddress(), e);
            return false;
        }
    }

    /** A secret the welcomed client shows to take its id over from this connection when it reconnects. */
    static String newResumeToken() {
        byte[] b = new byte[18];
        RANDOM.nextBytes(b);
        return Base64.getUrlEncoder().withoutPadding().encodeToString(b);
    }

    /**
     * The frame that opens an admitted connection: the peer id, this host, the limits the browser must keep, and the
     * resume token of this connection.
     */
    ObjectNode welcome(String id, String resume) {
        ObjectNode w = Frames.header("welcome");
        w.put("v", 1).put("id", id).put("host", host.id()).put("resume", resume);
        w.putObject("limits").put("maxMessageSize", options.maxMessageSize())
                .put("maxMessagesPerSecond", options.maxMessagesPerSecond())
                .put("maxSubscriptions", options.maxSubscriptions());
        return w;
    }

    /** Null when the authenticator (if any) admits the peer, else why not. */
    private String authenticate(Joining c, String id, String token) {
        Authenticator auth = options.authenticator();
        if (auth == null) {
            return null;
        }
        try {
            return auth.authenticate(new Authenticator.Credentials(id, token, c.origin(), c.remoteAddress())) ? null
                    : "invalid token";
        } catch (Exception e) {
            LOG.warn("authenticator failed for peer {} from {}", id, c.remoteAddress(), e);
            return "authenticator failed: " + e.getMessage();
        }
    }

    private void admit(Joining c, String id) {
        if (c.gone()) {
            return;
        }
        Peer p;
        try {
            p = host.create(id);
        } catch (IllegalArgumentException e) {
            metrics.count(Counter.REFUSED);
            c.fail(ErrorCode.NOT_AUTHORIZED, "peer id " + id + " is taken on host " + host.id());
            return;
        } catch (RuntimeException e) {
            metrics.count(Counter.REFUSED);
            c.fail(e instanceof MeshbusException m ? m.code() : ErrorCode.UNKNOWN, e.getMessage());
            return;
        }
        metrics.count(Counter.ACCEPTED);
        c.admitted(p);
    }
}

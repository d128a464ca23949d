package io.meshbus.node;

import io.netty.channel.Channel;
import io.netty.handler.ssl.SslHandler;
import java.security.cert.Certificate;
import java.security.cert.X509Certificate;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.function.Consumer;
import javax.net.ssl.SSLPeerUnverifiedException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs a link's authenticator (user code) on the node's executor and brings the verdict back to the event loop.
 * While it decides, what the link reads is held here in order (reading is paused, so at most one read's worth) and
 * handed back with the verdict. An authenticator that throws, returns nothing, or cannot be run refuses.
 *
 * <p>Threads: one link's event loop, except the authenticator itself, which runs on the executor.
 */
final class AuthenticatorCall {
    private static final Logger LOG = LoggerFactory.getLogger(AuthenticatorCall.class);

    private final Authenticator authenticator;
    private final Executor executor;
    private final Executor loop;
    private final String nodeId;
    // event loop only
    private boolean deciding;
    private ArrayDeque<Object> deferred;
    private boolean readsPaused;

    AuthenticatorCall(Authenticator authenticator, Executor executor, Executor loop, String nodeId) {
        this.authenticator = authenticator;
        this.executor = executor;
        this.loop = loop;
        this.nodeId = nodeId;
    }

    /** Whether a verdict is awaited: reads must be {@link #defer deferred} until it is in. */
    boolean deciding() {
        return deciding;
    }

    /** Holds a read for after the verdict; the link stops reading until then. */
    void defer(Object msg) {
        if (deferred == null) {
            deferred = new ArrayDeque<>();
        }
        deferred.add(msg);
        readsPaused = true;
    }

    /** Whether this call holds the link's reading (one of the read gate's reasons). */
    boolean readsPaused() {
        return readsPaused;
    }

    /**
     * Asks the authenticator about {@code presented}; {@code then} gets the verdict on the event loop (at once, on
     * the calling event loop, when the executor refuses the task).
     */
    void decide(Authenticator.Presented presented, Consumer<Authenticator.Verdict> then) {
        deciding = true;
        Runnable check = () -> {
            Authenticator.Verdict v;
            try {
                v = authenticator.authenticate(presented);
                if (v == null) {
                    v = Authenticator.Verdict.refuse("the authenticator gave no verdict");
                }
            } catch (RuntimeException | Error e) {
                LOG.warn("authenticator of node {} failed on node {}", nodeId, presented.nodeId(), e);
                v = Authenticator.Verdict.refuse("the authenticator failed: " + e);
            }
            Authenticator.Verdict verdict = v;
            loop.execute(() -> {
                deciding = false;
                then.accept(verdict);
            });
        };
        try {
            executor.execute(check);
        } catch (RejectedExecutionException e) {
            deciding = false;
            then.accept(Authenticator.Verdict.refuse("the executor refused the authenticator: " + e));
        }
    }

    /** What was read while deciding, in order (empty for none); the call holds nothing afterwards. */
    ArrayDeque<Object> takeDeferred() {
        ArrayDeque<Object> d = deferred == null ? new ArrayDeque<>() : deferred;
        deferred = null;
        return d;
    }

    /** Lets reading resume; returns whether this call had paused it. */
    boolean resumeReads() {
        boolean was = readsPaused;
        readsPaused = false;
        return was;
    }

    /** The TLS peer's verified chain, leaf first; empty without TLS or without a peer certificate. */
    static List<X509Certificate> peerCertificates(Channel ch) {
        SslHandler tls = ch.pipeline().get(SslHandler.class);
        if (tls == null) {
            return List.of();
        }
        try {
            List<X509Certificate> chain = new ArrayList<>();
            for (Certificate c : tls.engine().getSession().getPeerCertificates()) {
                if (c instanceof X509Certificate x) {
                    chain.add(x);
                }
            }
            return chain;
        } catch (SSLPeerUnverifiedException none) {
            return List.of();
        }
    }
}

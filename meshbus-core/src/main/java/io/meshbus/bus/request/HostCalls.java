package io.meshbus.bus.request;

import io.meshbus.bus.protocol.BusOps;
import io.meshbus.bus.protocol.HostCarrier;
import io.meshbus.error.PeerUnreachableException;
import io.meshbus.message.Headers;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;

/**
 * Control calls between hosts: {@link #ask} sends an op with a fresh sequence number and completes with the answer's
 * payload; {@link #answer} replies under the op's answer name ({@link BusOps#answerOf}); {@link #tell} expects none.
 *
 * <p>Threads: any.
 */
public final class HostCalls {
    private final HostCarrier carrier;
    private final PendingOps pending;
    private final Duration timeout;

    public HostCalls(HostCarrier carrier, PendingOps pending, Duration timeout) {
        this.carrier = carrier;
        this.pending = pending;
        this.timeout = timeout;
    }

    /** Sends {@code op}+sequence number to a host; completes with the answer, or fails typed, or times out. */
    public CompletableFuture<Object> ask(String to, String op, Headers headers, Object payload, String peerId,
                                         Duration within) {
        CompletableFuture<Object> f = new CompletableFuture<>();
        long s = pending.register(Pending.Kind.CALL, f, to, peerId, within);
        if (!carrier.send(to, BusOps.control(op + s, headers, payload)).accepted()) {
            pending.fail(s, new PeerUnreachableException("host " + to + " is unreachable"));
        }
        return f;
    }

    public CompletableFuture<Object> ask(String to, String op, Object payload) {
        return ask(to, op, Headers.EMPTY, payload, null, timeout);
    }

    public void tell(String to, String op, Object payload) {
        carrier.send(to, BusOps.control(op, payload));
    }

    /** Answers an {@link #ask}: the op's second letter upper-cased, the same sequence number. */
    public void answer(String to, String op, Object payload) {
        carrier.send(to, BusOps.control(BusOps.answerOf(op), payload));
    }

    /** Completes the call an answer names with its payload text; false when the op has no sequence number. */
    public boolean onAnswer(String op, Object value) {
        long s = BusOps.seq(op, 2);
        if (s < 0) {
            return false;
        }
        pending.complete(s, value);
        return true;
    }
}

package io.meshbus.netbench;

import io.meshbus.bus.Peer;
import io.meshbus.error.MeshbusException;
import io.meshbus.error.RequestTimeoutException;
import io.meshbus.node.SendStatus;
import java.time.Duration;
import java.util.BitSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * One host's traffic: every tick, one message in each mode to each other host's peer (fire and forget, confirmed,
 * at least once, a request), one publish on a subject every host subscribes to, and one on a subject a queue group
 * of all hosts shares. Payloads are {@code mode|phase|sender|seq}, numbered per flow from 0, so the receivers alone
 * tell a duplicate or a reordering; what became of each send is tallied here per flow, for the bench to join with
 * what the receivers got.
 *
 * <p>Threads: the ticker sends; futures complete on the host's executor and record into their flow's tally, guarded
 * by the tally. {@code phase} and {@code tick} are written by the control thread, guarded by this.
 */
final class Traffic {
    static final String FAN_OUT = "nb.fan";
    static final String WORK = "nb.work";
    static final String WORKERS = "workers";
    /** A future that ends later than its timeout and this is counted as late: the host sweeps every 20 ms. */
    static final Duration LATE_SLACK = Duration.ofSeconds(2);

    private final Peer peer;
    private final String sender;
    private final List<String> targets;
    private final Duration timeout;
    private final ScheduledExecutorService ticker;
    private final long tickMillis;
    private final Map<String, Tally> tallies = new ConcurrentHashMap<>();
    private final AtomicLong outstanding = new AtomicLong();
    private String phase; // guarded by this
    private ScheduledFuture<?> tick; // guarded by this

    /**
     * @param sender  this incarnation's part of the flow names, e.g. {@code h2#1}
     * @param targets the other hosts' peer ids
     */
    Traffic(Peer peer, String sender, List<String> targets, Duration timeout, ScheduledExecutorService ticker,
            long tickMillis) {
        this.peer = peer;
        this.sender = sender;
        this.targets = List.copyOf(targets);
        this.timeout = timeout;
        this.ticker = ticker;
        this.tickMillis = tickMillis;
    }

    /** Sends the traffic of {@code newPhase} from now on (what an earlier phase sent is still tallied). */
    synchronized void start(String newPhase) {
        stop();
        phase = newPhase;
        String p = newPhase;
        tick = ticker.scheduleAtFixedRate(() -> round(p), 0, tickMillis, TimeUnit.MILLISECONDS);
    }

    synchronized void stop() {
        if (tick != null) {
            tick.cancel(false);
            tick = null;
        }
    }

    /** Futures not yet ended, of every phase. */
    long outstanding() {
        return outstanding.get();
    }

    private void round(String p) {
        for (String to : targets) {
            forget(p, to);
            confirmed(p, to);
            atLeastOnce(p, to);
            request(p, to);
        }
        Tally pub = tally("pub", p, "*");
        peer.publish(FAN_OUT, "pub|" + p + "|" + sender + "|" + pub.next());
        Tally grp = tally("grp", p, "*");
        peer.publish(WORK, "grp|" + p + "|" + sender + "|" + grp.next());
    }

    private void forget(String p, String to) {
        Tally t = tally("ff", p, to);
        SendStatus s = peer.sendAndForget(to, "ff|" + p + "|" + sender + "|" + t.next());
        if (s.accepted()) {
            t.ok(-1);
        } else {
            t.failed(-1, "refused:" + s);
        }
    }

    private void confirmed(String p, String to) {
        Tally t = tally("conf", p, to);
        long seq = t.next();
        track(t, seq, peer.send(to, "conf|" + p + "|" + sender + "|" + seq, timeout));
    }

    private void atLeastOnce(String p, String to) {
        Tally t = tally("alo", p, to);
        long seq = t.next();
        track(t, seq, peer.sendAtLeastOnce(to, "alo|" + p + "|" + sender + "|" + seq, timeout));
    }

    private void request(String p, String to) {
        Tally t = tally("req", p, to);
        long seq = t.next();
        track(t, seq, peer.request(to, "req|" + p + "|" + sender + "|" + seq, timeout));
    }

    private void track(Tally t, long seq, CompletableFuture<?> f) {
        outstanding.incrementAndGet();
        long lateAt = System.nanoTime() + timeout.plus(LATE_SLACK).toNanos();
        f.whenComplete((v, e) -> {
            if (System.nanoTime() > lateAt) {
                t.late();
            }
            Throwable cause = unwrap(e);
            if (cause == null) {
                t.ok(seq);
            } else if (cause instanceof RequestTimeoutException) {
                t.timedOut(seq);
            } else {
                t.failed(seq, cause instanceof MeshbusException ? cause.getClass().getSimpleName()
                        : "untyped:" + cause.getClass().getName());
            }
            outstanding.decrementAndGet();
        });
    }

    private Tally tally(String mode, String p, String to) {
        return tallies.computeIfAbsent(mode + "|" + p + "|" + sender + ">" + to, k -> new Tally());
    }

    /** The flows this incarnation sent in {@code p}: {key: {sent, ok, timedOut, failed:{type: n}, mustArrive...}}. */
    Map<String, Object> report(String p) {
        Map<String, Object> out = new TreeMap<>();
        tallies.forEach((key, t) -> {
            if (key.split("\\|")[1].equals(p)) {
                out.put(key, t.snapshot());
            }
        });
        return out;
    }

    private static Throwable unwrap(Throwable t) {
        while (t instanceof CompletionException && t.getCause() != null) {
            t = t.getCause();
        }
        return t;
    }

    /**
     * One flow's sends. {@code ok} holds the sequence numbers whose future completed (confirmed: the message reached
     * the peer's listeners; at least once: the same); {@code timedOut} those that ended with a timeout, which ends the
     * wait, not an at-least-once delivery. Failures are counted by type; {@code sent - ended} is what has not ended
     * yet, {@code late} what ended more than {@link #LATE_SLACK} after its timeout.
     */
    private static final class Tally {
        private long next; // guarded by this
        private long ended; // guarded by this
        private final BitSet ok = new BitSet(); // guarded by this
        private final BitSet timedOut = new BitSet(); // guarded by this
        private long okCount; // guarded by this
        private long timedOutCount; // guarded by this
        private long late; // guarded by this
        private final Map<String, Long> failed = new TreeMap<>(); // guarded by this

        synchronized long next() {
            return next++;
        }

        synchronized void ok(long seq) {
            ended++;
            okCount++;
            if (seq >= 0) {
                ok.set((int) seq);
            }
        }

        synchronized void timedOut(long seq) {
            ended++;
            timedOutCount++;
            timedOut.set((int) seq);
        }

        synchronized void late() {
            late++;
        }

        synchronized void failed(long seq, String type) {
            ended++;
            failed.merge(type, 1L, Long::sum);
        }

        synchronized Map<String, Object> snapshot() {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("sent", next);
            m.put("ended", ended);
            m.put("okCount", okCount);
            m.put("timedOutCount", timedOutCount);
            m.put("late", late);
            m.put("failed", new TreeMap<>(failed));
            m.put("ok", ok.toLongArray());
            m.put("timedOut", timedOut.toLongArray());
            return m;
        }
    }
}

package io.meshbus.nats;

import io.meshbus.bus.HostLiveness;
import io.nats.client.Message;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLongFieldUpdater;
import java.util.concurrent.atomic.LongAdder;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Finds a crashed host at the first message nobody reads, long before its liveness would expire: now and then an
 * inbox publish carries a reply subject naming its target, and when no one is subscribed to that inbox the NATS
 * server answers there at once with status 503. Only one message per host every {@link #PROBE_NANOS} carries it:
 * enough to notice a dead inbox while traffic flows, and it spares the rest the longer protocol line.
 *
 * <p>An inbox nobody reads is not always a dead host: on a NATS cluster a host whose server died is unsubscribed
 * while it moves to another server. So a 503 counts only for a host that has also been silent (no heartbeat) for
 * {@code grace}, half the liveness timeout: a crash is still found in about half the time the timeout takes, and a
 * host that moves within that time keeps its membership, its streams and its peers.
 *
 * <p>Threads: {@link #replyFor} from any sending thread (one compare-and-set per probe); {@link #onAnswer} on the
 * jnats dispatcher's thread.
 */
final class NoResponders {
    private static final Logger LOG = LoggerFactory.getLogger(NoResponders.class);
    private static final long PROBE_NANOS = TimeUnit.MILLISECONDS.toNanos(20);
    private static final AtomicLongFieldUpdater<Probe> NEXT = AtomicLongFieldUpdater.newUpdater(Probe.class, "next");

    private final String self;
    private final String prefix;
    private final HostLiveness liveness;
    private final ConcurrentHashMap<String, Probe> probes = new ConcurrentHashMap<>();
    /** Reply subject back to the host it probes. */
    private final ConcurrentHashMap<String, String> targets = new ConcurrentHashMap<>();
    private final LongAdder found = new LongAdder();
    private final long graceNanos;

    /**
     * @param prefix this host's no-responders prefix ({@link NatsSubjects#noRespondersPrefix})
     * @param grace  how long a host must also have been silent before a 503 says it is gone
     */
    NoResponders(String self, String prefix, HostLiveness liveness, java.time.Duration grace) {
        this.self = self;
        this.prefix = prefix;
        this.liveness = liveness;
        this.graceNanos = grace.toNanos();
    }

    /** What this host subscribes to for the answers. */
    String subscription() {
        return prefix + "*";
    }

    /** Hosts found gone this way. */
    long found() {
        return found.sum();
    }

    /** The reply subject for a message to {@code host}, or null when this message need not probe. */
    String replyFor(String host) {
        Probe probe = probes.computeIfAbsent(host, h -> {
            Probe p = new Probe(prefix + NatsSubjects.token(h));
            targets.put(p.subject, h);
            return p;
        });
        long now = System.nanoTime();
        long next = probe.next;
        if (now - next < 0 || !NEXT.compareAndSet(probe, next, now + PROBE_NANOS)) {
            return null;
        }
        return probe.subject;
    }

    /** A message on the reply subjects: a 503 there means nobody reads that host's inbox, so it is gone. */
    void onAnswer(Message msg) {
        if (!msg.isStatusMessage() || msg.getStatus().getCode() != 503) {
            return;
        }
        String host = targets.get(msg.getSubject());
        if (host != null && liveness.silentFor(host) >= graceNanos) {
            found.increment();
            LOG.info("nats backplane {}: nobody reads the inbox of host {}; it is gone", self, host);
            liveness.gone(host, "host " + host + " is gone: nobody reads its inbox (NATS no responders)");
        }
    }

    /** Where no-responders answers for one host go, and when the next message may carry it. */
    private static final class Probe {
        final String subject;
        volatile long next;

        Probe(String subject) {
            this.subject = subject;
            this.next = System.nanoTime();
        }
    }
}

package io.meshbus.bench.backplane;

import io.meshbus.bench.Contender;
import io.meshbus.bench.RetryingSender;
import io.meshbus.bench.TwoJvmContender;
import io.meshbus.bench.Waits;
import io.meshbus.bus.Backplane;
import io.meshbus.bus.Host;
import io.meshbus.bus.Peer;
import io.meshbus.codec.ContentType;
import io.meshbus.message.Headers;
import io.meshbus.message.Message;
import io.meshbus.nats.NatsBackplane;
import io.meshbus.redis.RedisBackplane;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeoutException;
import java.util.function.LongSupplier;
import java.util.function.Supplier;

/**
 * The bus side of the backplane scenarios: two hosts on the broker with default options, under a namespace of their
 * own: the publisher (host A, and a peer on it) and the subscriber (host B, with the subscription or the target
 * peer). What the hosts or their backplanes refused or dropped is what will not arrive (a Redis publish taken and
 * then failed shows only in the backplane's {@code publishFailures}).
 */
final class BackplaneHosts {
    private static final String SUBJECT = "bench.data";
    private static final String SOURCE = "bench-source";
    private static final String TARGET = "bench-target";
    private static final List<String> LOSSES = List.of("publishesRefused", "dropped", "backplaneDropped",
            "publishFailures");

    private BackplaneHosts() {
    }

    /** Both hosts on {@code broker}, linked, with the workload's receiving end, primed. */
    static LocalStream open(Broker broker, BackplaneScenario.Workload workload, int size) throws Exception {
        String ns = Broker.namespace();
        List<Host> hosts = new ArrayList<>();
        List<Supplier<Map<String, Long>>> counters = new ArrayList<>();
        try {
            Host a = start(broker, ns, "bench-publisher", hosts, counters);
            Host b = start(broker, ns, "bench-subscriber", hosts, counters);
            awaitMember(a, b.id());
            awaitMember(b, a.id());
            byte[] payload = Contender.payload(size);
            LongSupplier lost = () -> losses(counters);
            TwoJvmContender.Closer close = () -> Waits.close(hosts);
            LocalStream s;
            if (workload == BackplaneScenario.Workload.PUBLISH) {
                s = new LocalStream(size, () -> {
                    // At most once and silent: a refusal shows only in the host's publishesRefused.
                    a.publish(SUBJECT, Message.ofBytes(Headers.EMPTY, ContentType.BYTES, payload));
                    return true;
                }, lost, close);
                Waits.await(b.subscribe(SUBJECT, (from, m) -> s.hit(m.payloadSize())));
            } else {
                Peer source = a.create(SOURCE);
                RetryingSender send = new RetryingSender(TARGET, size, m -> source.sendAndForget(TARGET, m),
                        () -> { });
                s = new LocalStream(size, send::trySend, lost, close);
                b.create(TARGET).onMessage((from, m) -> s.hit(m.payloadSize()));
                // The first send to an unknown peer waits for the directory; that is not what is measured.
                Waits.await(a.find(TARGET));
            }
            s.prime(broker.label() + " backplane");
            return s;
        } catch (Exception e) {
            Waits.close(hosts);
            throw e;
        }
    }

    private static Host start(Broker b, String ns, String id, List<Host> started,
                              List<Supplier<Map<String, Long>>> counters) throws Exception {
        Backplane backplane;
        if (b == Broker.REDIS) {
            RedisBackplane r = RedisBackplane.builder().uri(b.uri()).namespace(ns).build();
            counters.add(r::metrics);
            backplane = r;
        } else {
            NatsBackplane n = NatsBackplane.builder().uri(b.uri()).namespace(ns).build();
            counters.add(n::metrics);
            backplane = n;
        }
        Host host = Host.builder().id(id).backplane(backplane).build();
        counters.add(host::metrics);
        started.add(host);
        try {
            return Waits.await(host.start());
        } catch (Exception e) {
            throw new IOException(b.label() + " backplane at " + b.uri() + " (" + b.env + "): " + e, e);
        }
    }

    private static void awaitMember(Host host, String other) throws Exception {
        if (!Waits.waitFor(() -> host.members().contains(other), Waits.LIFECYCLE)) {
            throw new TimeoutException("host " + host.id() + " did not see host " + other + " within "
                    + Waits.LIFECYCLE.toSeconds() + " s; it knows " + host.members());
        }
    }

    /** What the hosts and their backplanes counted as refused or dropped, all together. */
    private static long losses(List<Supplier<Map<String, Long>>> counters) {
        long n = 0;
        for (Supplier<Map<String, Long>> s : counters) {
            Map<String, Long> m = s.get();
            for (String k : LOSSES) {
                n += m.getOrDefault(k, 0L);
            }
        }
        return n;
    }
}

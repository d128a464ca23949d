package io.meshbus.bench.backplane;

import io.meshbus.bench.Options;
import io.meshbus.bench.RateLoop;
import io.meshbus.bench.Resources;
import io.meshbus.bench.Result;
import io.meshbus.bench.Scenario;
import io.meshbus.bench.StreamLoad;
import java.util.ArrayList;
import java.util.List;

/**
 * The bus over a broker ({@code meshbus-redis}, {@code meshbus-nats}) against the broker's own Java client moving the
 * same messages, once per broker, in turns ({@link RateLoop}). Everything runs in this JVM: the broker is the wire
 * between the publishing and the subscribing end, so a child JVM would add nothing but a second scheduler to the two
 * cores. The parts: {@link PlainClients} (the baselines), {@link BackplaneHosts} (the bus), {@link LocalStream}
 * (the window both send within).
 */
public final class BackplaneScenario implements Scenario {
    /** What the bus does with each message; the baselines publish and subscribe in both cases. */
    enum Workload {
        /** Host A publishes on a subject; a subscription on host B receives. */
        PUBLISH("backplane-publish", "a host publishes on a subject, a subscription on a second host receives"),
        /** A peer on host A sends and forgets to a peer on host B. */
        SEND("backplane-send", "a peer sends and forgets to a peer on a second host");

        final String scenario;
        final String what;

        Workload(String scenario, String what) {
            this.scenario = scenario;
            this.what = what;
        }
    }

    private final Workload workload;

    private BackplaneScenario(Workload workload) {
        this.workload = workload;
    }

    /** The backplane scenarios, in the order {@code --list} shows them. */
    public static List<Scenario> all() {
        return List.of(new BackplaneScenario(Workload.PUBLISH), new BackplaneScenario(Workload.SEND));
    }

    @Override
    public String name() {
        return workload.scenario;
    }

    @Override
    public String description() {
        return workload.what + ", over Redis and NATS (--backplane), counted on reception; baseline: the plain "
                + "Lettuce / jnats client publishing and subscribing";
    }

    @Override
    public List<Result> run(Options o) throws Exception {
        List<Result> results = new ArrayList<>();
        for (Broker b : Broker.values()) {
            if (!o.backplane().equals("all") && !o.backplane().equals(b.label())) {
                continue;
            }
            try (Resources r = new Resources()) {
                LocalStream base = r.add(PlainClients.open(b, o.size()));
                LocalStream subj = r.add(BackplaneHosts.open(b, workload, o.size()));
                List<RateLoop.Rate> rates = RateLoop.measure(List.of(new StreamLoad(b.client, base, o.size()),
                        new StreamLoad(b.label() + " backplane", subj, o.size())), o);
                List<String> warnings = new ArrayList<>(rates.get(0).warnings());
                warnings.addAll(rates.get(1).warnings());
                results.add(new Result(name(), "throughput", rates.get(1).perSecond(), "msgs/s",
                        rates.get(0).perSecond(), warnings, b.label()));
            }
        }
        return results;
    }
}

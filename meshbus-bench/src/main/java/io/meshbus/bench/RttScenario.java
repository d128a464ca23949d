package io.meshbus.bench;

import io.meshbus.bench.Contender.Echo;
import io.meshbus.bench.Contender.Pinger;
import io.meshbus.bench.LatencyLoop.Requester;
import java.util.ArrayList;
import java.util.List;
import org.HdrHistogram.Histogram;

/**
 * Request/echo with one message in flight, subject and baseline in turns ({@link LatencyLoop}): {@code p50},
 * {@code p99}, {@code p999} in microseconds. Optionally first a {@code throughput} figure: against the same echo,
 * fresh requesters keep a fixed number of requests outstanding and the replies are counted ({@link RateLoop}).
 */
final class RttScenario extends PairScenario {
    private static final double[] PERCENTILES = {50.0, 99.0, 99.9};
    private static final String[] FIGURES = {"p50", "p99", "p999"};

    /** Requests outstanding in the throughput figure; 0 for none. */
    private final int inFlight;

    RttScenario(String name, String description, Contender subject, Contender baseline) {
        this(name, description, subject, baseline, 0);
    }

    RttScenario(String name, String description, Contender subject, Contender baseline, int inFlight) {
        super(name, description, subject, baseline);
        this.inFlight = inFlight;
    }

    @Override
    public List<Result> run(Options o) throws Exception {
        try (Resources r = new Resources()) {
            Echo base = r.add(baseline.openEcho(o.size()));
            Echo subj = r.add(subject.openEcho(o.size()));
            Pinger bp = r.add(base.pinger());
            Pinger sp = r.add(subj.pinger());
            List<Histogram> h = LatencyLoop.measure(List.of(new Requester(baseline.name(), bp),
                    new Requester(subject.name(), sp)), o);
            // Before the pipelines connect: the raw echo serves one connection at a time.
            r.closeNow(bp);
            r.closeNow(sp);
            List<Result> results = new ArrayList<>();
            if (inFlight > 0) {
                List<RateLoop.Rate> rates = RateLoop.measure(List.of(
                        RateLoop.pipelined(baseline.name(), base, inFlight),
                        RateLoop.pipelined(subject.name(), subj, inFlight)), o);
                List<String> warnings = new ArrayList<>(rates.get(0).warnings());
                warnings.addAll(rates.get(1).warnings());
                results.add(new Result(name, "throughput", rates.get(1).perSecond(), "msgs/s",
                        rates.get(0).perSecond(), warnings));
            }
            for (int i = 0; i < PERCENTILES.length; i++) {
                results.add(new Result(name, FIGURES[i], micros(h.get(1), PERCENTILES[i]), "us",
                        micros(h.get(0), PERCENTILES[i]), List.of()));
            }
            return results;
        }
    }

    static double micros(Histogram h, double percentile) {
        return h.getValueAtPercentile(percentile) / 1000.0;
    }
}

package io.meshbus.bench;

import io.meshbus.bench.Contender.Stream;
import java.util.ArrayList;
import java.util.List;

/**
 * One-way messages, flat out, subject and baseline in turns ({@link RateLoop} over {@link StreamLoad}s): the rate
 * is what the receiver counted over the windows (for a sender with confirmations, what it saw confirmed), with
 * every loss, duplicate or malformed message as a warning next to it.
 */
final class ThroughputScenario extends PairScenario {
    ThroughputScenario(String name, String description, Contender subject, Contender baseline) {
        super(name, description, subject, baseline);
    }

    @Override
    public List<Result> run(Options o) throws Exception {
        try (Resources r = new Resources()) {
            Stream base = r.add(baseline.openStream(o.size()));
            Stream subj = r.add(subject.openStream(o.size()));
            List<RateLoop.Rate> rates = RateLoop.measure(List.of(new StreamLoad(baseline.name(), base, o.size()),
                    new StreamLoad(subject.name(), subj, o.size())), o);
            List<String> warnings = new ArrayList<>(rates.get(0).warnings());
            warnings.addAll(rates.get(1).warnings());
            return List.of(new Result(name, "throughput", rates.get(1).perSecond(), "msgs/s",
                    rates.get(0).perSecond(), warnings));
        }
    }
}

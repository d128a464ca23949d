package io.meshbus.bench;

import io.meshbus.bench.jmh.SubjectMatchBench;
import java.util.ArrayList;
import java.util.List;
import org.openjdk.jmh.results.RunResult;
import org.openjdk.jmh.runner.Runner;
import org.openjdk.jmh.runner.format.OutputFormatFactory;
import org.openjdk.jmh.runner.options.OptionsBuilder;
import org.openjdk.jmh.runner.options.TimeValue;
import org.openjdk.jmh.runner.options.VerboseMode;

/**
 * {@link SubjectMatchBench} run through JMH (one fork, one-second iterations: {@code --warmup} and {@code --seconds}
 * of them), its scores printed as figures: {@code ns-per-match} from the subject string, as a publish pays it, and
 * {@code ns-per-match-tokens} from a subject split beforehand. No baseline: printed as null. JMH's own report goes to
 * stderr, so stdout holds only the figures.
 */
final class SubjectMatchScenario implements Scenario {
    /** A figure whose iterations spread by more than this share of it (standard deviation) gets a warning. */
    private static final double SPREAD = 0.05;

    @Override
    public String name() {
        return "subject-match";
    }

    @Override
    public String description() {
        return String.format("JMH: ns to match one published subject in a SubjectIndex of %,d subscriptions; no "
                + "baseline", SubjectMatchBench.SUBSCRIPTIONS);
    }

    @Override
    public List<Result> run(Options o) throws Exception {
        var options = new OptionsBuilder()
                .include(SubjectMatchBench.class.getName() + "\\.")
                .forks(1)
                .warmupIterations((int) Math.round(o.warmup().toMillis() / 1000.0))
                .warmupTime(TimeValue.seconds(1))
                .measurementIterations((int) Math.max(1, Math.round(o.measure().toMillis() / 1000.0)))
                .measurementTime(TimeValue.seconds(1))
                .build();
        var runner = new Runner(options, OutputFormatFactory.createFormatInstance(System.err, VerboseMode.NORMAL));
        List<Result> results = new ArrayList<>();
        for (RunResult r : runner.run()) {
            String method = r.getParams().getBenchmark().substring(SubjectMatchBench.class.getName().length() + 1);
            String figure = method.equals("tokenizeAndMatch") ? "ns-per-match" : "ns-per-match-tokens";
            double score = r.getPrimaryResult().getScore();
            double stdev = r.getPrimaryResult().getStatistics().getStandardDeviation();
            List<String> warnings = !(stdev > SPREAD * score) ? List.of()
                    : List.of(String.format("%s: the iterations spread by %.1f ns (standard deviation) around %.1f",
                    figure, stdev, score));
            results.add(new Result(name(), figure, score, "ns", Double.NaN, warnings));
        }
        results.sort((a, b) -> a.figure().compareTo(b.figure()));
        return results;
    }
}

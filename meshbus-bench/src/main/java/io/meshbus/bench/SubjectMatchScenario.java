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
 * of them), its scores printed as figures. No baseline: printed as null. JMH's own report goes to stderr, so stdout
 * holds only the figures.
 */
final class SubjectMatchScenario implements Scenario {
    /** A figure whose 99.9% confidence interval is wider than this share of it is printed with a warning. */
    private static final double WIDE_ERROR = 0.1;

    @Override
    public String name() {
        return "subject-match";
    }

    @Override
    public String description() {
        return "JMH: ns to match one published subject against " + String.format("%,d", 100_000)
                + " subscriptions (SubjectIndex); no baseline";
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
        // The figure of the name is what a publish pays: from the subject string. The other leaves the split out.
        for (RunResult r : runner.run()) {
            String method = r.getParams().getBenchmark().substring(SubjectMatchBench.class.getName().length() + 1);
            String figure = method.equals("tokenizeAndMatch") ? "ns-per-match" : "ns-per-match-" + method;
            double score = r.getPrimaryResult().getScore();
            double error = r.getPrimaryResult().getScoreError();
            List<String> warnings = Double.isFinite(error) && error <= WIDE_ERROR * score ? List.of()
                    : List.of(String.format("%s: %.1f ± %.1f ns (99.9%%): more iterations (--seconds) would "
                    + "narrow it", figure, score, error));
            results.add(new Result(name(), figure, score, "ns", Double.NaN, warnings));
        }
        results.sort((a, b) -> a.figure().compareTo(b.figure()));
        return results;
    }
}

package io.meshbus.bench;

import io.meshbus.bench.Contender.Echo;
import io.meshbus.bench.Contender.Pipeline;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * The one throughput loop: every contender of a run is measured in turns. Each of {@code --rounds} rounds gives
 * every load a slice of {@code --seconds}: it starts, runs for the warm-up (the whole {@code --warmup} in its first
 * slice, a short ramp after that), is counted over its window on this JVM's clock, then stops and drains before the
 * next one starts, so two contenders never compete for the cores. The order rotates from round to round, so none is
 * always first. A contender's rate is its completions over the sum of its windows.
 *
 * <p>Threads: everything runs on the caller's thread, except what a load runs on its own (a sender, a pipeline).
 */
public final class RateLoop {
    /** The warm-up of every slice after a load's first: queues refill, the code is compiled already. */
    private static final Duration RAMP = Duration.ofMillis(250);
    private static final Duration PIPELINE_STOP = Duration.ofSeconds(10);

    /** Something measured as a rate: started, counted, stopped and drained, as often as the rounds ask. */
    public interface Load {
        /** The contender's name, for the figures and the progress lines. */
        String name();

        /** Starts offering work, on threads of its own. */
        void start() throws Exception;

        /** Completions so far (deliveries, confirmations, replies): only differences within a slice are used. */
        long completed() throws IOException;

        /** Stops offering work and waits, within bounds, until what it had taken has completed. */
        void stop() throws Exception;

        /** What casts doubt on the figure, after the last stop. */
        default List<String> warnings() {
            return List.of();
        }
    }

    /** A contender's rate over its windows, per second, and its warnings. */
    public record Rate(String contender, double perSecond, List<String> warnings) {
    }

    private RateLoop() {
    }

    /** Measures every load in turns, as the options say; one rate per load, in the same order. */
    public static List<Rate> measure(List<? extends Load> loads, Options o) throws Exception {
        int n = loads.size();
        long slice = o.measure().toNanos() / o.rounds();
        Duration ramp = o.warmup().compareTo(RAMP) < 0 ? o.warmup() : RAMP;
        long[] count = new long[n];
        long[] nanos = new long[n];
        for (int round = 0; round < o.rounds(); round++) {
            for (int k = 0; k < n; k++) {
                int i = (k + round) % n;
                Load load = loads.get(i);
                load.start();
                try {
                    TimeUnit.NANOSECONDS.sleep((round == 0 ? o.warmup() : ramp).toNanos());
                    long t0 = System.nanoTime();
                    long c0 = load.completed();
                    TimeUnit.NANOSECONDS.sleep(slice);
                    long c1 = load.completed();
                    long t1 = System.nanoTime();
                    count[i] += c1 - c0;
                    nanos[i] += t1 - t0;
                } finally {
                    load.stop();
                }
            }
        }
        List<Rate> rates = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            List<String> warnings = new ArrayList<>();
            if (count[i] == 0) {
                warnings.add(loads.get(i).name() + ": nothing completed during the measuring windows");
            }
            warnings.addAll(loads.get(i).warnings());
            double rate = count[i] * 1e9 / nanos[i];
            System.err.printf("%s: %,.0f per second over %d windows of %.2f s%n", loads.get(i).name(), rate,
                    o.rounds(), slice / 1e9);
            rates.add(new Rate(loads.get(i).name(), rate, warnings));
        }
        return rates;
    }

    /** Pipelined requests against {@code echo} as a load: a fresh pipeline of {@code inFlight} per slice. */
    public static Load pipelined(String name, Echo echo, int inFlight) {
        return new Load() {
            private Pipeline pipeline;

            @Override
            public String name() {
                return name;
            }

            @Override
            public void start() throws Exception {
                pipeline = echo.pipeline(inFlight);
            }

            @Override
            public long completed() {
                return pipeline.completed();
            }

            @Override
            public void stop() throws Exception {
                try (Pipeline p = pipeline) {
                    p.stop(PIPELINE_STOP);
                } finally {
                    pipeline = null;
                }
            }
        };
    }
}

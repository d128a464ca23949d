package io.meshbus.bench.jmh;

import io.meshbus.bus.SubjectIndex;
import io.meshbus.bus.Subjects;
import java.util.SplittableRandom;
import java.util.function.Consumer;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.Setup;

/**
 * What matching one published subject costs in a {@link SubjectIndex} of {@value #SUBSCRIPTIONS} subscriptions, as a
 * host's index of its members' interests might hold them: one service per subscription mostly, a few per-service
 * catch-alls and a handful of monitors on every service. Per operation one subject, every matching value handed to a
 * consumer; {@code match} from tokens, {@code tokenizeAndMatch} from the subject string, as a publish does.
 *
 * <p>The mix, for {@code i} in 0..{@value #SUBSCRIPTIONS}: {@code svc.<i>.events} for most, {@code svc.<i>.>} for
 * every {@value #REST_EVERY}th, and {@value #MONITORS} times {@code svc.*.events}. The subjects published are
 * {@code svc.<k>.events} for {@value #SUBJECTS} random {@code k} over the same range (fixed seed), so a match yields
 * one literal value (or none, for a catch-all's {@code i}), the monitors, and sometimes a catch-all.
 */
public class SubjectMatchBench extends JmhDefaults {
    public static final int SUBSCRIPTIONS = 100_000;
    static final int REST_EVERY = 50;
    static final int MONITORS = 10;
    /** Subjects cycled through: more than the caches hold of the trie's paths, fewer than would cost memory. */
    static final int SUBJECTS = 1 << 14;

    private final SubjectIndex<Integer> index = new SubjectIndex<>();
    private final String[] subjects = new String[SUBJECTS];
    private final String[][] tokens = new String[SUBJECTS][];
    /** Made once: a lambda that wrote a field of this state per call could cost an allocation per operation. */
    private final Counter counter = new Counter();
    private int next;

    /** Counts matches; what a benchmark returns cannot be optimised away. */
    private static final class Counter implements Consumer<Integer> {
        int matches;

        @Override
        public void accept(Integer value) {
            matches++;
        }
    }

    @Setup
    public void setUp() {
        int added = 0;
        for (int i = 0; added < SUBSCRIPTIONS - MONITORS; i++, added++) {
            index.add(i % REST_EVERY == 0 ? "svc." + i + ".>" : "svc." + i + ".events", added);
        }
        for (int m = 0; m < MONITORS; m++) {
            index.add("svc.*.events", added++);
        }
        if (index.size() != SUBSCRIPTIONS) {
            throw new IllegalStateException("index holds " + index.size() + " subscriptions");
        }
        SplittableRandom random = new SplittableRandom(42);
        for (int i = 0; i < SUBJECTS; i++) {
            subjects[i] = "svc." + random.nextInt(SUBSCRIPTIONS - MONITORS) + ".events";
            tokens[i] = Subjects.tokens(subjects[i], false);
        }
    }

    @Benchmark
    public int match() {
        counter.matches = 0;
        index.match(tokens[next++ & (SUBJECTS - 1)], counter);
        return counter.matches;
    }

    @Benchmark
    public int tokenizeAndMatch() {
        counter.matches = 0;
        index.match(Subjects.tokens(subjects[next++ & (SUBJECTS - 1)], false), counter);
        return counter.matches;
    }
}

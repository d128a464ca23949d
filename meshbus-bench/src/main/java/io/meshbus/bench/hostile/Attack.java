package io.meshbus.bench.hostile;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * One pattern of hostile clients, bounded in count and time, on loopback only. It runs to its end (every connection it
 * opened closed, by the host or by itself) and reports what only it can see, as figures of its own (connections the
 * host closed, how long that took) and as warnings (a connection held past its deadline, a frame read whole). The
 * measuring of the host is done around it.
 */
interface Attack {
    /** The attack's name in the figures, for example {@code silent-ws}. */
    String name();

    /** Runs the attack against {@code target}. */
    Outcome run(Target target) throws Exception;

    /** A figure only the attack could measure. */
    record Seen(String figure, double value, String unit) {
    }

    /** What an attack saw: its own figures, and what deserves a warning. Filled by the attack's thread only. */
    final class Outcome {
        final List<Seen> seen = new ArrayList<>();
        final List<String> warnings = new ArrayList<>();

        Outcome seen(String figure, double value, String unit) {
            seen.add(new Seen(figure, value, unit));
            return this;
        }

        Outcome warn(String warning) {
            warnings.add(warning);
            return this;
        }

        /** The figures of connections an attack held until the host closed them, and a warning for any left. */
        Outcome closed(Sockets.Closed c, Duration bound) {
            seen("closed-by-host", c.closed(), "connections");
            seen("last-closed", c.last().toMillis() / 1000.0, "s");
            if (c.stillOpen() > 0) {
                warn(c.stillOpen() + " connections still open " + bound.toSeconds() + " s after all were open");
            }
            return this;
        }

        /** A warning when connects failed (a full accept queue, say): the attack was smaller than asked. */
        Outcome connectsFailed(int failed, int of) {
            if (failed > 0) {
                warn(failed + " of " + of + " connects failed");
            }
            return this;
        }
    }
}

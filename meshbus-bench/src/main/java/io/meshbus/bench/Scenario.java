package io.meshbus.bench;

import java.util.List;

/**
 * One benchmark: measures a figure of Meshbus and, in the same run, the same figure of a baseline, so every number
 * comes with the reference it should be read against. Implementations set up their contenders (child JVMs, brokers)
 * and must bound every wait in time.
 */
public interface Scenario {
    /** The name given on the command line, for example {@code node-rtt}. */
    String name();

    /** One line for {@code --list}: what is measured, and against what. */
    String description();

    /** Runs the scenario; a failure (child crash, timeout, send refused) throws instead of reporting a figure. */
    List<Result> run(Options options) throws Exception;

    /** The options a run starts from before the command line's: most scenarios share {@link Options#DEFAULTS}. */
    default Options defaults() {
        return Options.DEFAULTS;
    }

    /** What {@code --quick} starts from: most scenarios share {@link Options#QUICK}. */
    default Options quickDefaults() {
        return Options.QUICK;
    }

    /**
     * The figures as people read them, for a scenario whose figures make one table (many contenders side by side);
     * null to print one line per figure, as most do.
     */
    default String table(List<Result> results) {
        return null;
    }
}

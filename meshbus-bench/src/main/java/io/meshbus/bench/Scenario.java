package io.meshbus.bench;

import java.util.List;

/**
 * One benchmark: measures a figure of the node and, in the same run, the same figure of a baseline, so every number
 * comes with the reference it should be read against. Implementations spawn their own child JVM and must bound every
 * wait in time.
 */
public interface Scenario {
    /** The name given on the command line, for example {@code node-rtt}. */
    String name();

    /** One line for {@code --list}: what is measured, and against what. */
    String description();

    /** Runs the scenario; a failure (child crash, timeout, send refused) throws instead of reporting a figure. */
    List<Result> run(Options options) throws Exception;
}

package io.meshbus.bench.jmh;

import java.io.IOException;
import org.openjdk.jmh.runner.Runner;
import org.openjdk.jmh.runner.RunnerException;
import org.openjdk.jmh.runner.options.CommandLineOptionException;
import org.openjdk.jmh.runner.options.CommandLineOptions;

/**
 * Runs the JMH benchmarks of this jar from code, so they need no separate benchmarks jar. Takes JMH's own command
 * line: {@code [REGEX] [-f forks] [-wi n] ...}, {@code -h} explains it, {@code -l} lists the benchmarks. Forks start
 * with this JVM's class path.
 */
public final class JmhMain {
    private JmhMain() {
    }

    public static void main(String[] args) {
        System.exit(run(args));
    }

    /** Runs the benchmarks selected by {@code args}; returns 0, 1 when a run failed, 2 for a bad command line. */
    public static int run(String[] args) {
        CommandLineOptions options;
        try {
            options = new CommandLineOptions(args);
        } catch (CommandLineOptionException e) {
            System.err.println("jmh: " + e.getMessage());
            return 2;
        }
        try {
            if (options.shouldHelp()) {
                options.showHelp();
            } else if (options.shouldList()) {
                new Runner(options).list();
            } else {
                new Runner(options).run();
            }
            return 0;
        } catch (RunnerException | IOException e) {
            System.err.println("jmh: " + e.getMessage());
            return 1;
        }
    }
}

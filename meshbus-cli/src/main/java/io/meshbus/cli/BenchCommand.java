package io.meshbus.cli;

import io.meshbus.bench.BenchMain;
import java.io.PrintStream;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/** {@code meshbus bench}: the benchmark harness of {@code meshbus-bench}, with its own argument syntax. */
@Command(name = "bench", description = "Run a benchmark: bench SCENARIO [--seconds S] [--size B] [--json], "
        + "bench --list.")
final class BenchCommand implements Callable<Integer> {
    @CommandLine.Unmatched
    List<String> args;

    @CommandLine.Option(names = {"-h", "--help"}, usageHelp = true, description = "Show this help.")
    boolean help;

    @Override
    public Integer call() {
        PrintStream out = System.out;
        return BenchMain.run(args == null ? new String[0] : args.toArray(new String[0]), out);
    }
}

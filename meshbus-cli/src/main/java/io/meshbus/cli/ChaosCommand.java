package io.meshbus.cli;

import io.meshbus.netbench.Fault;
import io.meshbus.netbench.NetBench;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code meshbus chaos}: fault injection on real networks; {@code chaos net} runs the network test bench. */
@Command(name = "chaos", mixinStandardHelpOptions = true, description = "Inject faults: chaos net.",
        subcommands = ChaosCommand.Net.class)
final class ChaosCommand implements Runnable {
    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(spec.commandLine().getOut());
    }

    @Command(name = "net", mixinStandardHelpOptions = true,
            description = {"Hosts in their own network namespaces (one JVM each), traffic in every mode, and faults "
                    + "from outside: link down, tc tbf rate cut, SIGSTOP, kill -9 and restart, partition, "
                    + "asymmetric reachability. One table per fault, then a summary. Needs root and iproute2.",
                "Exit code 1 when a promise broke (a hung future, an at-least-once message lost or duplicated, "
                    + "membership not converged...)."})
    static final class Net implements Callable<Integer> {
        @CommandLine.Spec
        CommandLine.Model.CommandSpec spec;

        @Option(names = "--hosts", defaultValue = "5", description = "Hosts, one JVM each. Default: ${DEFAULT-VALUE}.")
        int hosts;

        @Option(names = "--seconds", defaultValue = "60",
                description = "Time shared by the faults (each is held about seconds/faults - 2 s, at least the idle "
                        + "timeout + 1.5 s). Default: ${DEFAULT-VALUE}.")
        int seconds;

        @Option(names = "--faults", split = ",", description = "Faults to run, in order (default: all): "
                + "link-down, rate-cut, sigstop, kill-9-restart, partition, asymmetric.")
        List<String> faults;

        @Option(names = "--heartbeat-ms", defaultValue = "1000",
                description = "PING after this long without a write. Default: ${DEFAULT-VALUE}.")
        long heartbeatMs;

        @Option(names = "--idle-ms", defaultValue = "5000",
                description = "A link is dead after this long without a read. Default: ${DEFAULT-VALUE}.")
        long idleMs;

        @Option(names = "--timeout-ms", defaultValue = "5000",
                description = "Timeout of confirmed sends, at-least-once sends and requests. "
                        + "Default: ${DEFAULT-VALUE}.")
        long timeoutMs;

        @Option(names = "--give-up-ms", defaultValue = "60000",
                description = "A member without a link is given up after this long; a fault held longer splits the "
                        + "network for good. Default: ${DEFAULT-VALUE}.")
        long giveUpMs;

        @Override
        public Integer call() throws Exception {
            String why = NetBench.unavailable();
            if (why != null) {
                spec.commandLine().getErr().println("meshbus: " + why);
                return ExitCodes.FAILURE;
            }
            NetBench.Options o = NetBench.Options.defaults(hosts, Duration.ofSeconds(seconds))
                    .withKeepalive(Duration.ofMillis(heartbeatMs), Duration.ofMillis(idleMs))
                    .withTimeout(Duration.ofMillis(timeoutMs)).withGiveUp(Duration.ofMillis(giveUpMs));
            if (faults != null) {
                o = o.withFaults(faults.stream().map(Fault::of).toList());
            }
            PrintStream out = new PrintStream(System.out, true, StandardCharsets.UTF_8);
            List<String> broken = NetBench.run(o, out).violations();
            broken.forEach(v -> spec.commandLine().getErr().println("broken: " + v));
            return broken.isEmpty() ? ExitCodes.OK : ExitCodes.FAILURE;
        }
    }
}

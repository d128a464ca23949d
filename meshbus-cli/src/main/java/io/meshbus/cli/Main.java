package io.meshbus.cli;

import picocli.CommandLine;
import picocli.CommandLine.Command;

/** The {@code meshbus} command. */
@Command(name = "meshbus", mixinStandardHelpOptions = true, versionProvider = Main.Version.class,
        description = "A broker-less message bus: nodes, hosts, peers, channels and routed handlers.",
        subcommands = {DemoCommand.class, BenchCommand.class, CommandLine.HelpCommand.class})
public final class Main implements Runnable {
    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(spec.commandLine().getOut());
    }

    /** Builds the command line with the project's error handling: one clear line, exit code 2 for usage errors. */
    public static CommandLine commandLine() {
        CommandLine cl = new CommandLine(new Main());
        cl.setExecutionExceptionHandler((ex, commandLine, parseResult) -> {
            commandLine.getErr().println("meshbus: " + ex.getMessage());
            return 1;
        });
        return cl;
    }

    public static void main(String[] args) {
        System.exit(commandLine().execute(args));
    }

    static final class Version implements CommandLine.IVersionProvider {
        @Override
        public String[] getVersion() {
            String v = Main.class.getPackage().getImplementationVersion();
            return new String[] {"meshbus " + (v == null ? "dev" : v)};
        }
    }
}

package io.meshbus.cli;

import picocli.CommandLine;
import picocli.CommandLine.Command;

/** The {@code meshbus} command. */
@Command(name = "meshbus", mixinStandardHelpOptions = true, versionProvider = Main.Version.class,
        description = "A broker-less message bus: nodes, hosts, peers, channels and routed handlers.",
        subcommands = {DemoCommand.class, HostCommand.class, ClientCommands.Send.class, ClientCommands.Request.class, ReplyCommand.class,
            ClientCommands.Pub.class, ClientCommands.Sub.class, ClientCommands.Find.class, ClientCommands.Peers.class,
            BenchCommand.class, ChaosCommand.class, CommandLine.HelpCommand.class})
public final class Main implements Runnable {
    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @CommandLine.Option(names = {"-v", "--verbose"}, scope = CommandLine.ScopeType.INHERIT,
            description = "Log more, and print stack traces of errors.")
    static boolean verbose;

    @CommandLine.Option(names = {"-q", "--quiet"}, scope = CommandLine.ScopeType.INHERIT,
            description = "Log errors only.")
    static boolean quiet;

    @Override
    public void run() {
        spec.commandLine().usage(spec.commandLine().getOut());
    }

    /**
     * Builds the command line with the project's conventions: defaults from the environment and a config file, errors
     * in one line (stack trace with --verbose), exit codes from {@link ExitCodes}.
     */
    public static CommandLine commandLine() {
        return commandLine(System.getenv());
    }

    static CommandLine commandLine(java.util.Map<String, String> env) {
        CommandLine cl = new CommandLine(new Main());
        cl.setDefaultValueProvider(new ConfigDefaults(env));
        cl.setExecutionStrategy(parseResult -> {
            Logging.apply(verbose, quiet);
            return new CommandLine.RunLast().execute(parseResult);
        });
        cl.setExecutionExceptionHandler((ex, commandLine, parseResult) -> {
            Throwable e = ExitCodes.unwrap(ex);
            commandLine.getErr().println("meshbus: " + (e.getMessage() != null ? e.getMessage() : e.toString()));
            if (verbose) {
                e.printStackTrace(commandLine.getErr());
            }
            return ExitCodes.of(e);
        });
        cl.setParameterExceptionHandler((ex, args) -> {
            CommandLine c = ex.getCommandLine();
            // A config file's refusal reaches picocli from the default provider, wrapped: its own text names the
            // file, the line and the key.
            Throwable cause = ex.getCause();
            String why = cause instanceof IllegalArgumentException && cause.getMessage() != null
                    ? cause.getMessage() : ex.getMessage();
            c.getErr().println("meshbus: " + why + " (try: meshbus "
                    + (c.getCommandName().equals("meshbus") ? "" : c.getCommandName() + " ") + "--help)");
            return ExitCodes.USAGE;
        });
        return cl;
    }

    public static void main(String[] args) {
        System.exit(commandLine().execute(args));
    }

    static final class Version implements CommandLine.IVersionProvider {
        @Override
        public String[] getVersion() {
            return new String[] {BuildInfo.load().line()};
        }
    }
}

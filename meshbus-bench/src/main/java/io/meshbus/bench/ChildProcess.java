package io.meshbus.bench;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStreamWriter;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * A JVM started from this one, usually a {@link BenchChild}: same java binary, same class path (or a jar). The two talk
 * in lines: commands go to the child's stdin, replies come from its stdout ({@code KEYWORD args}, or
 * {@code ERROR text} when the child failed). The child's stderr goes straight to ours so its stack traces are seen,
 * unless it is sent to a file (a process whose log is measured). Every wait has a deadline, and the child is killed
 * when a wait fails, when this object is closed, and when this JVM exits.
 */
public final class ChildProcess implements AutoCloseable {
    /**
     * The child's JVM settings: a fixed-size heap, never resized during a run, and the parallel collector; the harness
     * JVM should be started the same way. SLF4J has no provider on the benchmark class path and would print a warning
     * on every start.
     */
    public static final List<String> JVM_OPTIONS = List.of("-Xms512m", "-Xmx512m", "-XX:+UseParallelGC",
            "-Dslf4j.internal.verbosity=ERROR");

    /** Environment variable with JVM options added to every child's. */
    static final String EXTRA_OPTIONS = "MESHBUS_BENCH_CHILD_OPTS";

    private static final Duration EXIT_WAIT = Duration.ofSeconds(10);
    /** Stands for the end of stdout in the line queue; a fresh instance, compared by identity, so no line equals it. */
    private static final String EOF = new String("EOF");

    private final String name;
    private final Process process;
    private final Writer stdin;
    private final BlockingQueue<String> lines = new LinkedBlockingQueue<>();
    private final Thread killOnExit;

    private ChildProcess(String name, Process process) {
        this.name = name;
        this.process = process;
        this.stdin = new OutputStreamWriter(process.getOutputStream(), StandardCharsets.UTF_8);
        this.killOnExit = new Thread(process::destroyForcibly, "bench-child-killer");
        Runtime.getRuntime().addShutdownHook(killOnExit);
        Thread reader = new Thread(this::pumpStdout, "bench-child-stdout-" + name);
        reader.setDaemon(true);
        reader.start();
    }

    /**
     * Starts {@code BenchChild contender role size lifetime}. Besides being closed or killed from here, the child ends
     * when its stdin closes (this JVM died) and, as a last resort should this JVM hang, after {@code lifetime}.
     */
    static ChildProcess start(String contender, String role, int size, Duration lifetime) throws IOException {
        return start(contender + "-" + role, JVM_OPTIONS, BenchChild.class, List.of(contender, role,
                Integer.toString(size), Long.toString(Math.max(1, lifetime.toSeconds()))));
    }

    /** Starts {@code main} with {@code args} in a JVM with {@code jvmOptions}; {@code name} labels its output. */
    public static ChildProcess start(String name, List<String> jvmOptions, Class<?> main, List<String> args)
            throws IOException {
        return start(name, jvmOptions, List.of("-cp", System.getProperty("java.class.path"), main.getName()), args,
                ProcessBuilder.Redirect.INHERIT);
    }

    /**
     * Starts a JVM with {@code jvmOptions}, then {@code launch} (a class path and main class, or {@code -jar} and a
     * jar), then {@code args}; its stderr goes to {@code stderr}.
     */
    public static ChildProcess start(String name, List<String> jvmOptions, List<String> launch, List<String> args,
                                     ProcessBuilder.Redirect stderr) throws IOException {
        String java = ProcessHandle.current().info().command()
                .orElse(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        List<String> command = new ArrayList<>();
        command.add(java);
        command.addAll(jvmOptions);
        // For profiling the child, e.g. -XX:StartFlightRecording=filename=child.jfr; after the defaults, so it wins.
        String extra = System.getenv(EXTRA_OPTIONS);
        if (extra != null && !extra.isBlank()) {
            command.addAll(List.of(extra.trim().split("\\s+")));
        }
        // Tuning properties of the library travel to the child, so both ends of a run use the same settings.
        System.getProperties().stringPropertyNames().stream().filter(k -> k.startsWith("meshbus."))
                .sorted().forEach(k -> command.add("-D" + k + "=" + System.getProperty(k)));
        command.addAll(launch);
        command.addAll(args);
        Process p = new ProcessBuilder(command).redirectError(stderr).start();
        return new ChildProcess(name, p);
    }

    /** The child's process id. */
    public long pid() {
        return process.pid();
    }

    public boolean isAlive() {
        return process.isAlive();
    }

    /** The exit code, or null while the child runs. */
    public Integer exitCode() {
        return process.isAlive() ? null : process.exitValue();
    }

    /** Kills the child at once (SIGKILL: no shutdown hook, no goodbye) and waits for it to be gone. */
    public void kill() throws InterruptedException {
        process.destroyForcibly();
        process.waitFor(EXIT_WAIT.toSeconds(), TimeUnit.SECONDS);
    }

    /**
     * Asks the child to end as a service manager would (SIGTERM) and waits at most {@code timeout}; true when it
     * ended in that time. One that did not is left running: {@link #close} kills it.
     */
    public boolean terminate(Duration timeout) throws InterruptedException {
        process.destroy();
        return process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS);
    }

    /** Sends one command line. */
    public void send(String command) throws IOException {
        stdin.write(command);
        stdin.write('\n');
        stdin.flush();
    }

    /**
     * Waits for the next line starting with {@code keyword} and returns the words after it. Other lines are passed on
     * to stderr; an {@code ERROR} line, the end of the child's output, or the deadline fails the wait.
     */
    public String[] await(String keyword, Duration timeout)
            throws IOException, TimeoutException, InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (true) {
            String line = lines.poll(deadline - System.nanoTime(), TimeUnit.NANOSECONDS);
            if (line == null) {
                process.destroyForcibly();
                throw new TimeoutException("child " + name + " did not answer " + keyword + " within "
                        + timeout.toSeconds() + " s; killed it");
            }
            if (line == EOF) {
                boolean exited = process.waitFor(EXIT_WAIT.toSeconds(), TimeUnit.SECONDS);
                throw new IOException("child " + name + " ended while the harness waited for " + keyword
                        + (exited ? " (exit code " + process.exitValue() + ")" : ""));
            }
            if (line.startsWith("ERROR ")) {
                throw new IOException("child " + name + " failed: " + line.substring(6));
            }
            if (line.equals(keyword) || line.startsWith(keyword + " ")) {
                String rest = line.substring(keyword.length()).trim();
                return rest.isEmpty() ? new String[0] : rest.split(" ");
            }
            System.err.println("[" + name + "] " + line);
        }
    }

    /** Asks the child to quit, and kills it if it has not within a few seconds or this thread is interrupted. */
    @Override
    public void close() {
        try {
            send("QUIT");
            stdin.close();
        } catch (IOException alreadyGone) {
            // The child closed its stdin by exiting; waiting below tells whether it is really gone.
        }
        try {
            if (!process.waitFor(EXIT_WAIT.toSeconds(), TimeUnit.SECONDS)) {
                System.err.println("child " + name + " did not quit within " + EXIT_WAIT.toSeconds()
                        + " s; killing it");
                process.destroyForcibly();
            }
        } catch (InterruptedException e) {
            process.destroyForcibly();
            Thread.currentThread().interrupt();
        }
        try {
            Runtime.getRuntime().removeShutdownHook(killOnExit);
        } catch (IllegalStateException shuttingDown) {
            // The hook is about to run, and killing a child that already exited is harmless.
        }
    }

    private void pumpStdout() {
        try (BufferedReader r = new BufferedReader(new InputStreamReader(process.getInputStream(),
                StandardCharsets.UTF_8))) {
            for (String line = r.readLine(); line != null; line = r.readLine()) {
                lines.add(line);
            }
        } catch (IOException e) {
            lines.add("ERROR reading its output failed: " + e);
        } finally {
            lines.add(EOF);
        }
    }
}

package io.meshbus.netbench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStreamWriter;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * One {@link NetHostMain} JVM started inside a network namespace, and its control channel. It is started as
 * {@code ip netns exec NS java ...}: {@code ip} enters the namespace and execs the JVM, so the pid held here is the
 * JVM's own (checked at start), and a signal or a kill reaches the host itself, not a wrapper.
 *
 * <p>Commands carry an id and replies name it, so the answer of a command that timed out (a stopped host answers
 * once continued) is recognised as stale and skipped. Its stderr goes to a log file.
 *
 * <p>Threads: one thread of the bench sends commands at a time ({@link #call} is synchronized); a reader thread
 * queues the child's stdout lines.
 */
final class HostJvm {
    /** Small heaps and the quick compiler only: several of these share two cores with the bench. */
    static final List<String> JVM_OPTIONS = List.of("-Xms32m", "-Xmx96m", "-XX:MaxDirectMemorySize=64m",
            "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1", "-XX:CICompilerCount=1", "-Xss512k",
            "-XX:+ExitOnOutOfMemoryError", "-Dlogback.configurationFile=meshbus-netbench-logback.xml",
            "-Dslf4j.internal.verbosity=ERROR");
    private static final ObjectMapper JSON = new ObjectMapper();
    /** Stands for the end of stdout in the line queue; compared by identity, so no line equals it. */
    private static final String EOF = new String("EOF");

    private final HostSpec spec;
    private final Process process;
    private final Path log;
    private final Writer stdin;
    private final BlockingQueue<String> lines = new LinkedBlockingQueue<>();
    private final AtomicLong ids = new AtomicLong();

    private HostJvm(HostSpec spec, Process process, Path log) {
        this.spec = spec;
        this.process = process;
        this.log = log;
        this.stdin = new OutputStreamWriter(process.getOutputStream(), StandardCharsets.UTF_8);
        Thread reader = new Thread(this::pump, "netbench-" + spec.hostId() + "-stdout");
        reader.setDaemon(true);
        reader.start();
    }

    /** Starts the host JVM in {@code namespace}; returns once it has joined, or fails with its log's tail. */
    static HostJvm start(String namespace, HostSpec spec, Path log, Duration ready) throws IOException {
        String java = ProcessHandle.current().info().command()
                .orElse(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        List<String> cmd = new ArrayList<>(List.of("ip", "netns", "exec", namespace, java));
        cmd.addAll(JVM_OPTIONS);
        cmd.addAll(List.of("-cp", System.getProperty("java.class.path"), NetHostMain.class.getName(),
                JSON.writeValueAsString(spec)));
        Process p = new ProcessBuilder(cmd).redirectError(ProcessBuilder.Redirect.appendTo(log.toFile())).start();
        HostJvm h = new HostJvm(spec, p, log);
        try {
            h.awaitReady(ready);
            h.checkPidIsTheJvm();
        } catch (IOException | RuntimeException e) {
            h.kill();
            throw e;
        }
        return h;
    }

    HostSpec spec() {
        return spec;
    }

    long pid() {
        return process.pid();
    }

    boolean alive() {
        return process.isAlive();
    }

    private void checkPidIsTheJvm() throws IOException {
        Path exe = Files.readSymbolicLink(Path.of("/proc", Long.toString(pid()), "exe"));
        if (!exe.getFileName().toString().startsWith("java")) {
            throw new IOException("host " + spec.hostId() + ": pid " + pid() + " runs " + exe + ", not the JVM: "
                    + "this `ip netns exec` forks instead of exec'ing, so signals would miss the host");
        }
    }

    private void awaitReady(Duration timeout) throws IOException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (true) {
            String line = poll(deadline);
            if (line.startsWith("READY ")) {
                return;
            }
            if (line.startsWith("ERR ")) {
                throw new IOException("host " + spec.hostId() + ": " + line.substring(4) + "\n" + logTail());
            }
        }
    }

    /**
     * Sends {@code command} and returns the answer's JSON, or fails when the host answers {@code ERR}, ends, or does
     * not answer within {@code timeout} (a stopped host does not).
     */
    synchronized JsonNode call(String command, Duration timeout) throws IOException {
        String id = Long.toString(ids.incrementAndGet());
        try {
            stdin.write(id + " " + command + "\n");
            stdin.flush();
        } catch (IOException e) {
            throw new IOException("host " + spec.hostId() + " is gone (" + e.getMessage() + ")", e);
        }
        long deadline = System.nanoTime() + timeout.toNanos();
        while (true) {
            String line = poll(deadline);
            if (line.startsWith(id + " OK ")) {
                return JSON.readTree(line.substring(id.length() + 4));
            }
            if (line.startsWith(id + " ERR ")) {
                throw new IOException("host " + spec.hostId() + ": " + command + ": " + line.substring(id.length()
                        + 5));
            }
            // an earlier command's late answer
        }
    }

    private String poll(long deadline) throws IOException {
        String line;
        try {
            line = lines.poll(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted waiting for host " + spec.hostId(), e);
        }
        if (line == null) {
            throw new IOException("host " + spec.hostId() + " did not answer in time");
        }
        if (line == EOF) {
            lines.add(EOF);
            throw new IOException("host " + spec.hostId() + " ended" + (process.isAlive() ? "" : " (exit "
                    + process.exitValue() + ")") + "\n" + logTail());
        }
        return line;
    }

    /** SIGSTOP or SIGCONT. */
    void signal(String signal) throws IOException {
        Commands.run("kill", "-" + signal, Long.toString(pid()));
    }

    /** SIGKILL, and waits until the process is gone (a stopped one dies too). */
    void kill() {
        process.destroyForcibly();
        try {
            process.waitFor(20, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** Asks the host to leave and exit; kills it when it does not within a few seconds. */
    void close() {
        if (process.isAlive()) {
            try {
                call("QUIT", Duration.ofSeconds(12));
            } catch (IOException ignored) {
                // stopped, gone or slow: the kill below settles it
            }
            try {
                process.waitFor(5, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        kill();
    }

    String logTail() {
        try {
            List<String> all = Files.readAllLines(log);
            return String.join("\n", all.subList(Math.max(0, all.size() - 20), all.size()));
        } catch (IOException e) {
            return "(no log: " + e.getMessage() + ")";
        }
    }

    private void pump() {
        try (BufferedReader r = new BufferedReader(new InputStreamReader(process.getInputStream(),
                StandardCharsets.UTF_8))) {
            for (String line = r.readLine(); line != null; line = r.readLine()) {
                lines.add(line);
            }
        } catch (IOException e) {
            // the host died; EOF below says so
        } finally {
            lines.add(EOF);
        }
    }
}

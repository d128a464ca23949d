package io.meshbus.bench.hostile;

import io.meshbus.bench.ChildProcess;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;

/**
 * {@code meshbus host} in a JVM of its own, as users run it: {@code -Xmx256m -XX:+ExitOnOutOfMemoryError}, tcp and
 * ws listeners on 127.0.0.1 port 0, an echo peer, the status page on a port of its own; its log (stderr) goes to a
 * file whose size is a figure. The command comes from the class path when the command line's main class is on it
 * (as in {@code bin/meshbus bench}), or else from the shaded jar ({@code -Dmeshbus.jar}, by default
 * {@code meshbus-cli/target/meshbus.jar}); the benchmark module does not depend on the command line's, which depends
 * on it.
 */
final class HostProcess implements AutoCloseable {
    static final String ECHO = "echo";
    static final List<String> JVM_OPTIONS = List.of("-Xmx256m", "-XX:+ExitOnOutOfMemoryError");
    static final String MAIN = "io.meshbus.cli.Main";
    private static final Duration STARTUP = Duration.ofSeconds(60);
    /** How long SIGTERM may take: the host's close (10 s) and a margin. */
    static final Duration STOP = Duration.ofSeconds(20);
    private static final int MAX_LOG_READ = 1 << 20;

    private final ChildProcess child;
    private final Path log;
    private final Target target;

    private HostProcess(ChildProcess child, Path log, Target target) {
        this.child = child;
        this.log = log;
        this.target = target;
    }

    /** Starts the host and waits for its addresses. */
    static HostProcess start() throws Exception {
        Path log = Files.createTempFile("meshbus-hostile-host-", ".log");
        String id = "hostile-" + UUID.randomUUID().toString().substring(0, 8);
        ChildProcess child = ChildProcess.start("host", JVM_OPTIONS, launch(), List.of("host", "--id", id,
                        "--listen", "tcp://127.0.0.1:0,ws://127.0.0.1:0", "--echo", ECHO, "--status-port", "0"),
                ProcessBuilder.Redirect.to(log.toFile()));
        try {
            // host ID listening on [tcp://127.0.0.1:P, ws://127.0.0.1:Q]
            String listening = String.join(" ", child.await("host", STARTUP));
            URI tcp = null;
            URI ws = null;
            for (String a : listening.substring(listening.indexOf('[') + 1, listening.indexOf(']')).split(", ")) {
                if (a.startsWith("tcp:")) {
                    tcp = URI.create(a);
                } else if (a.startsWith("ws:")) {
                    ws = URI.create(a);
                }
            }
            child.await("echo", STARTUP);
            // status on http://127.0.0.1:P/
            URI status = URI.create(child.await("status", STARTUP)[1]);
            if (tcp == null || ws == null) {
                throw new IOException("the host did not say where it listens: " + listening);
            }
            System.err.println("hostile: host " + id + " (pid " + child.pid() + ") on " + tcp + ", " + ws + ", "
                    + status + "; its log: " + log);
            return new HostProcess(child, log, new Target(tcp, ws, status));
        } catch (Exception e) {
            child.close();
            throw e;
        }
    }

    /** The command line's main class from this class path, or the shaded jar. */
    private static List<String> launch() throws IOException {
        try {
            Class.forName(MAIN, false, HostProcess.class.getClassLoader());
            return List.of("-cp", System.getProperty("java.class.path"), MAIN);
        } catch (ClassNotFoundException notHere) {
            Path jar = Path.of(System.getProperty("meshbus.jar", "meshbus-cli/target/meshbus.jar"));
            if (!Files.isRegularFile(jar)) {
                throw new IOException("hostile runs `meshbus host`, which is neither on the class path nor at " + jar
                        + ": run it as bin/meshbus bench hostile, or point -Dmeshbus.jar at the shaded jar");
            }
            return List.of("-jar", jar.toString());
        }
    }

    Target target() {
        return target;
    }

    long pid() {
        return child.pid();
    }

    boolean isAlive() {
        return child.isAlive();
    }

    Integer exitCode() {
        return child.exitCode();
    }

    /** Bytes the host has logged so far. */
    long logSize() throws IOException {
        return Files.size(log);
    }

    /** What the host logged from {@code from} on, at most 1 MiB of it. */
    String logSince(long from) throws IOException {
        try (RandomAccessFile f = new RandomAccessFile(log.toFile(), "r")) {
            long n = Math.min(MAX_LOG_READ, Math.max(0, f.length() - from));
            byte[] b = new byte[(int) n];
            f.seek(from);
            f.readFully(b);
            return new String(b, StandardCharsets.UTF_8);
        }
    }

    /** The lines of {@code text} that tell of a failure no attack may cause: an OutOfMemoryError, an NPE, a crash. */
    static List<String> alarming(String text) {
        List<String> found = new ArrayList<>();
        for (String line : text.split("\n")) {
            if (line.contains("OutOfMemoryError") || line.contains("NullPointerException")
                    || line.contains("Exception in thread") || line.contains("Terminating due to")) {
                found.add(line.strip());
            }
        }
        return found;
    }

    /** Ends the host with SIGTERM, as a service manager would; true when it exited within {@code bound}. */
    boolean terminate(Duration bound) throws InterruptedException {
        return child.terminate(bound);
    }

    /** Ends the host with SIGTERM (killed if it does not end in 20 s), its normal end. */
    @Override
    public void close() throws InterruptedException {
        try {
            child.terminate(STOP);
        } finally {
            child.close();
        }
    }
}

package io.meshbus.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * The shaded jar run as a user runs it, one process per command: started, fed standard input, read line by line,
 * and all killed by {@link #close()}.
 */
final class MeshbusProcesses implements AutoCloseable {
    static final String JAR = System.getProperty("meshbus.jar", "target/meshbus.jar");
    private final List<Process> started = new ArrayList<>();

    record Result(int code, String out, String err) {
    }

    static String java() {
        return ProcessHandle.current().info().command().orElse("java");
    }

    Process start(String... args) throws IOException {
        return start(null, args);
    }

    /** Starts {@code java -jar meshbus.jar ARGS}; standard error to the file when given. */
    Process start(Path stderr, String... args) throws IOException {
        List<String> cmd = new ArrayList<>(List.of(java(), "-jar", JAR));
        cmd.addAll(List.of(args));
        ProcessBuilder pb = new ProcessBuilder(cmd);
        if (stderr != null) {
            pb.redirectError(stderr.toFile());
        }
        Process p = pb.start();
        synchronized (started) {
            started.add(p);
        }
        return p;
    }

    /** Runs a command to its end with the given standard input (closed at once when null). */
    Result runWithInput(String stdin, String... args) throws Exception {
        Process p = start(args);
        try (OutputStream in = p.getOutputStream()) {
            if (stdin != null) {
                in.write(stdin.getBytes(StandardCharsets.UTF_8));
            }
        }
        // Read both streams before waiting: a chatty process must not block on a full pipe.
        var err = java.util.concurrent.CompletableFuture.supplyAsync(() -> readAll(p.getErrorStream()));
        String out = readAll(p.getInputStream());
        boolean done = p.waitFor(60, TimeUnit.SECONDS);
        assertThat(done).as("meshbus %s finished in time", String.join(" ", args)).isTrue();
        return new Result(p.exitValue(), out, err.get(10, TimeUnit.SECONDS));
    }

    Result run(String... args) throws Exception {
        return runWithInput(null, args);
    }

    private static String readAll(java.io.InputStream in) {
        try {
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            return "";
        }
    }

    /** Reads a process's output lines in the background so a test can wait for one. */
    static BlockingQueue<String> lines(Process p) {
        BlockingQueue<String> q = new LinkedBlockingQueue<>();
        Thread t = new Thread(() -> {
            try (BufferedReader r = new BufferedReader(new InputStreamReader(p.getInputStream(),
                    StandardCharsets.UTF_8))) {
                for (String l; (l = r.readLine()) != null; ) {
                    q.add(l);
                }
            } catch (IOException ignored) {
                // the process ended
            }
        });
        t.setDaemon(true);
        t.start();
        return q;
    }

    /** The first line starting with the prefix, waiting at most 60 s. */
    static String await(BlockingQueue<String> q, String prefix) throws InterruptedException {
        long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (System.nanoTime() < end) {
            String l = q.poll(1, TimeUnit.SECONDS);
            if (l != null && l.startsWith(prefix)) {
                return l;
            }
        }
        throw new AssertionError("no line starting with '" + prefix + "'");
    }

    @Override
    public void close() {
        synchronized (started) {
            started.forEach(Process::destroyForcibly);
            started.clear();
        }
    }
}

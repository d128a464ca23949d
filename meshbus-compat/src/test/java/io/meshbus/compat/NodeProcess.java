package io.meshbus.compat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import org.junit.jupiter.api.Assumptions;

/**
 * A Node.js process running one of the fixture scripts (src/test/node), driven by JSON lines on stdin and reporting
 * JSON lines on stdout. Always stop it with {@link #close()} (destroyForcibly).
 */
final class NodeProcess implements AutoCloseable {
    static final Path FIXTURE = Path.of("src/test/node").toAbsolutePath();
    private static final ObjectMapper JSON = new ObjectMapper();
    private static volatile boolean installed;
    private final Process process;
    private final String name;
    private final LinkedBlockingQueue<JsonNode> events = new LinkedBlockingQueue<>();
    private final List<JsonNode> unclaimed = new ArrayList<>();
    private final StringBuffer stderr = new StringBuffer();

    private NodeProcess(String name, Process p) {
        this.name = name;
        this.process = p;
        Thread out = new Thread(() -> {
            try (BufferedReader r = new BufferedReader(new InputStreamReader(p.getInputStream(),
                    StandardCharsets.UTF_8))) {
                for (String line; (line = r.readLine()) != null; ) {
                    try {
                        events.add(JSON.readTree(line));
                    } catch (IOException e) {
                        stderr.append("[stdout] ").append(line).append('\n');
                    }
                }
            } catch (IOException e) {
                // the process is gone; waiting callers time out with its stderr
            }
        }, "node-out-" + name);
        out.setDaemon(true);
        out.start();
        Thread err = new Thread(() -> {
            try (BufferedReader r = new BufferedReader(new InputStreamReader(p.getErrorStream(),
                    StandardCharsets.UTF_8))) {
                for (String line; (line = r.readLine()) != null; ) {
                    stderr.append(line).append('\n');
                }
            } catch (IOException e) {
                // same as above
            }
        }, "node-err-" + name);
        err.setDaemon(true);
        err.start();
    }

    /** Skips the test when node/npm are missing, unless MESHBUS_REQUIRE_BROKERS=1 (CI), where it fails. */
    static synchronized void requireNode() throws Exception {
        if (installed) {
            return;
        }
        boolean required = "1".equals(System.getenv("MESHBUS_REQUIRE_BROKERS"));
        String missing = null;
        for (String tool : new String[] {"node", "npm"}) {
            if (!runs(tool, "--version")) {
                missing = tool;
            }
        }
        if (missing != null) {
            String msg = "'" + missing + "' is not installed: the compat tests run the real distribus@0.4.0 and "
                    + "masterless@0.4.1 in Node processes (install nodejs and npm)";
            if (required) {
                throw new AssertionError(msg + " [MESHBUS_REQUIRE_BROKERS=1]");
            }
            Assumptions.abort(msg);
        }
        if (!Files.isDirectory(FIXTURE.resolve("node_modules/distribus"))
                || !Files.isDirectory(FIXTURE.resolve("node_modules/masterless"))) {
            Process p = new ProcessBuilder("npm", "ci", "--ignore-scripts", "--no-audit", "--no-fund")
                    .directory(FIXTURE.toFile()).redirectErrorStream(true).start();
            String log = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            if (!p.waitFor(300, TimeUnit.SECONDS) || p.exitValue() != 0) {
                p.destroyForcibly();
                String msg = "npm ci in " + FIXTURE + " failed:\n" + log;
                if (required) {
                    throw new AssertionError(msg);
                }
                Assumptions.abort(msg);
            }
        }
        installed = true;
    }

    private static boolean runs(String... cmd) {
        try {
            Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
            p.getInputStream().readAllBytes();
            return p.waitFor(30, TimeUnit.SECONDS) && p.exitValue() == 0;
        } catch (IOException e) {
            return false;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    static NodeProcess start(String script, String... args) throws Exception {
        requireNode();
        List<String> cmd = new ArrayList<>(List.of("node", script));
        cmd.addAll(List.of(args));
        Process p = new ProcessBuilder(cmd).directory(FIXTURE.toFile()).start();
        return new NodeProcess(script + " " + String.join(" ", args), p);
    }

    void send(String json) {
        try {
            OutputStream o = process.getOutputStream();
            o.write((json + "\n").getBytes(StandardCharsets.UTF_8));
            o.flush();
        } catch (IOException e) {
            throw new AssertionError(name + " is gone: " + stderr, e);
        }
    }

    /** The first event (not yet claimed) matching the predicate, waiting at most {@code timeout}. */
    JsonNode await(Predicate<JsonNode> p, Duration timeout) throws InterruptedException {
        synchronized (unclaimed) {
            for (Iterator<JsonNode> it = unclaimed.iterator(); it.hasNext(); ) {
                JsonNode e = it.next();
                if (p.test(e)) {
                    it.remove();
                    return e;
                }
            }
            long end = System.nanoTime() + timeout.toNanos();
            for (long left; (left = end - System.nanoTime()) > 0; ) {
                JsonNode e = events.poll(left, TimeUnit.NANOSECONDS);
                if (e == null) {
                    break;
                }
                if (p.test(e)) {
                    return e;
                }
                unclaimed.add(e);
            }
        }
        throw new AssertionError(name + ": no matching event within " + timeout + "; seen " + unclaimed
                + "; stderr: " + stderr + (process.isAlive() ? "" : " (exited " + process.exitValue() + ")"));
    }

    JsonNode await(String event, Duration timeout) throws InterruptedException {
        return await(e -> event.equals(e.path("event").asText()), timeout);
    }

    boolean isAlive() {
        return process.isAlive();
    }

    String stderr() {
        return stderr.toString();
    }

    /** Kills the process at once (what a crash looks like to its peers). */
    void kill() throws InterruptedException {
        process.destroyForcibly();
        process.waitFor(10, TimeUnit.SECONDS);
    }

    @Override
    public void close() {
        try {
            kill();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}

package io.meshbus.cli;

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
 * A Node.js process running a fixture script of src/test/node (the real npm packages, installed with {@code npm ci}
 * once), driven by JSON lines on stdin and reporting JSON lines on stdout. Without node or npm the test is skipped,
 * except under MESHBUS_REQUIRE_BROKERS=1 (CI), where it fails.
 */
final class NodeScript implements AutoCloseable {
    static final Path FIXTURE = Path.of("src/test/node").toAbsolutePath();
    private static final ObjectMapper JSON = new ObjectMapper();
    private static volatile boolean installed;
    private final Process process;
    private final String name;
    private final LinkedBlockingQueue<JsonNode> events = new LinkedBlockingQueue<>();
    // guarded by itself
    private final List<JsonNode> unclaimed = new ArrayList<>();
    private final StringBuffer stderr = new StringBuffer();

    private NodeScript(String name, Process p) {
        this.name = name;
        this.process = p;
        daemon("node-out-" + name, () -> {
            try (BufferedReader r = reader(p.getInputStream())) {
                for (String line; (line = r.readLine()) != null; ) {
                    try {
                        events.add(JSON.readTree(line));
                    } catch (IOException e) {
                        stderr.append("[stdout] ").append(line).append('\n');
                    }
                }
            }
        });
        daemon("node-err-" + name, () -> {
            try (BufferedReader r = reader(p.getErrorStream())) {
                for (String line; (line = r.readLine()) != null; ) {
                    stderr.append(line).append('\n');
                }
            }
        });
    }

    private interface Reading {
        void run() throws IOException;
    }

    private static void daemon(String name, Reading r) {
        Thread t = new Thread(() -> {
            try {
                r.run();
            } catch (IOException e) {
                // the process is gone; a waiting caller fails with its stderr
            }
        }, name);
        t.setDaemon(true);
        t.start();
    }

    private static BufferedReader reader(java.io.InputStream in) {
        return new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8));
    }

    static synchronized void requireNode() throws Exception {
        if (installed) {
            return;
        }
        boolean required = "1".equals(System.getenv("MESHBUS_REQUIRE_BROKERS"));
        for (String tool : new String[] {"node", "npm"}) {
            if (!runs(tool, "--version")) {
                skipOrFail(required, "'" + tool + "' is not installed: these tests run the real distribus@0.4.0 in "
                        + "Node processes (install nodejs and npm)");
            }
        }
        if (!Files.isDirectory(FIXTURE.resolve("node_modules/distribus"))) {
            Process p = new ProcessBuilder("npm", "ci", "--ignore-scripts", "--no-audit", "--no-fund")
                    .directory(FIXTURE.toFile()).redirectErrorStream(true).start();
            String log = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            if (!p.waitFor(300, TimeUnit.SECONDS) || p.exitValue() != 0) {
                p.destroyForcibly();
                skipOrFail(required, "npm ci in " + FIXTURE + " failed:\n" + log);
            }
        }
        installed = true;
    }

    private static void skipOrFail(boolean required, String why) {
        if (required) {
            throw new AssertionError(why + " [MESHBUS_REQUIRE_BROKERS=1]");
        }
        Assumptions.abort(why);
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

    static NodeScript start(String script, String... args) throws Exception {
        requireNode();
        List<String> cmd = new ArrayList<>(List.of("node", script));
        cmd.addAll(List.of(args));
        return new NodeScript(script, new ProcessBuilder(cmd).directory(FIXTURE.toFile()).start());
    }

    void send(Object command) {
        try {
            OutputStream o = process.getOutputStream();
            o.write((JSON.writeValueAsString(command) + "\n").getBytes(StandardCharsets.UTF_8));
            o.flush();
        } catch (IOException e) {
            throw new AssertionError(name + " is gone: " + stderr, e);
        }
    }

    /** The first event not yet claimed that matches, waiting at most {@code timeout}. */
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

    @Override
    public void close() {
        process.destroyForcibly();
        try {
            process.waitFor(10, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}

package io.meshbus.js;

import static org.junit.jupiter.api.Assertions.assertNotEquals;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;

/** Finds node and chromium, prepares the npm fixture, runs processes with a deadline and always stops them. */
final class JsTools {
    static final Path FIXTURE = Path.of("src/test/js").toAbsolutePath();
    private static final boolean REQUIRED = "1".equals(System.getenv("MESHBUS_REQUIRE_BROKERS"));

    private JsTools() {
    }

    record Result(int exit, String out, String err) {
        @Override
        public String toString() {
            return "exit " + exit + "\nstdout:\n" + out + "\nstderr:\n" + err;
        }
    }

    /** Skips the test with a message, except under MESHBUS_REQUIRE_BROKERS=1 (CI) where it fails. */
    static void require(boolean present, String message) {
        if (REQUIRED) {
            assertNotEquals(false, present, message + " (required under MESHBUS_REQUIRE_BROKERS=1)");
        }
        Assumptions.assumeTrue(present, message + "; skipping");
    }

    /** The node executable (version 20 or later), or a skip. */
    static String node() {
        String node = onPath("node");
        require(node != null, "node (Node.js 20) is not on the PATH");
        Result r = run(List.of(node, "--version"), Map.of(), FIXTURE, Duration.ofSeconds(20));
        String v = r.out().trim();
        int major = v.startsWith("v") ? Integer.parseInt(v.substring(1, v.indexOf('.'))) : 0;
        require(major >= 20, "node " + v + " is older than 20");
        return node;
    }

    static String chromium() {
        String c = Files.isExecutable(Path.of("/usr/bin/chromium")) ? "/usr/bin/chromium" : onPath("chromium");
        require(c != null, "chromium is not installed (apt-get install chromium; .ci/run installs it)");
        return c;
    }

    /** Installs the fixture's npm packages from its lock file when node_modules is missing. */
    static synchronized void npmPackages(String node) {
        if (Files.isDirectory(FIXTURE.resolve("node_modules/ws"))
                && Files.isDirectory(FIXTURE.resolve("node_modules/playwright-core"))) {
            return;
        }
        String npm = onPath("npm");
        require(npm != null, "npm is not on the PATH");
        Result r = run(List.of(npm, "ci", "--no-audit", "--no-fund", "--prefer-offline"), Map.of(), FIXTURE,
                Duration.ofMinutes(5));
        if (r.exit() != 0) {
            throw new AssertionError("npm ci failed in " + FIXTURE + ":\n" + r);
        }
    }

    static String onPath(String name) {
        for (String dir : System.getenv().getOrDefault("PATH", "/usr/bin").split(":")) {
            Path p = Path.of(dir, name);
            if (Files.isExecutable(p)) {
                return p.toString();
            }
        }
        return null;
    }

    /** Runs a command to its end or the deadline; the process and its children are stopped in every case. */
    static Result run(List<String> command, Map<String, String> env, Path dir, Duration deadline) {
        ProcessBuilder pb = new ProcessBuilder(new ArrayList<>(command)).directory(dir.toFile());
        pb.environment().putAll(env);
        Process p;
        try {
            p = pb.start();
        } catch (IOException e) {
            throw new AssertionError("cannot start " + command, e);
        }
        try {
            CompletableFuture<String> out = CompletableFuture.supplyAsync(() -> read(p.getInputStream()));
            CompletableFuture<String> err = CompletableFuture.supplyAsync(() -> read(p.getErrorStream()));
            p.getOutputStream().close();
            if (!p.waitFor(deadline.toMillis(), TimeUnit.MILLISECONDS)) {
                stop(p);
                throw new AssertionError(command + " did not finish within " + deadline + "; stdout so far:\n"
                        + out.getNow("") + "\nstderr:\n" + err.getNow(""));
            }
            return new Result(p.exitValue(), out.get(10, TimeUnit.SECONDS), err.get(10, TimeUnit.SECONDS));
        } catch (IOException | InterruptedException | java.util.concurrent.ExecutionException
                 | java.util.concurrent.TimeoutException e) {
            throw new AssertionError(command + " failed", e);
        } finally {
            stop(p);
        }
    }

    private static void stop(Process p) {
        p.descendants().forEach(ProcessHandle::destroyForcibly);
        p.destroyForcibly();
    }

    private static String read(java.io.InputStream in) {
        try (in) {
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            return "(unreadable: " + e + ")";
        }
    }
}

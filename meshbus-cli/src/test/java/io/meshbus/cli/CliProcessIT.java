package io.meshbus.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The command as a user runs it: processes started from the shaded jar. A host with an echo peer and a status page;
 * one-shot commands against it; the dashboard in headless Chromium; SIGTERM leaves cleanly.
 */
class CliProcessIT {
    private static final String JAR = System.getProperty("meshbus.jar", "target/meshbus.jar");
    private final List<Process> started = new ArrayList<>();

    @AfterEach
    void kill() {
        started.forEach(Process::destroyForcibly);
    }

    private Process start(String... args) throws IOException {
        return start(null, args);
    }

    private Process start(Path stderr, String... args) throws IOException {
        List<String> cmd = new ArrayList<>(List.of(java(), "-jar", JAR));
        cmd.addAll(List.of(args));
        ProcessBuilder pb = new ProcessBuilder(cmd);
        if (stderr != null) {
            pb.redirectError(stderr.toFile());
        }
        Process p = pb.start();
        started.add(p);
        return p;
    }

    private static String java() {
        return ProcessHandle.current().info().command().orElse("java");
    }

    record Result(int code, String out, String err) {
    }

    private Result run(String... args) throws Exception {
        Process p = start(args);
        p.getOutputStream().close();
        boolean done = p.waitFor(60, TimeUnit.SECONDS);
        assertThat(done).as("meshbus %s finished in time", String.join(" ", args)).isTrue();
        return new Result(p.exitValue(), new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8),
                new String(p.getErrorStream().readAllBytes(), StandardCharsets.UTF_8));
    }

    /** Reads a process's output lines in the background so a test can wait for one. */
    private static BlockingQueue<String> lines(Process p) {
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

    private static String await(BlockingQueue<String> q, String prefix) throws InterruptedException {
        long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (System.nanoTime() < end) {
            String l = q.poll(1, TimeUnit.SECONDS);
            if (l != null && l.startsWith(prefix)) {
                return l;
            }
        }
        throw new AssertionError("no line starting with '" + prefix + "'");
    }

    @Test
    void shouldRunTheDemoToTheEnd() throws Exception {
        Result r = run("demo");
        assertThat(r.code()).as(r.err()).isZero();
        assertThat(r.out()).contains("alice  got the reply {\"answer\":42}").endsWith("done\n");
    }

    @Test
    void shouldServeOneShotCommandsAndLeaveCleanlyOnSigterm() throws Exception {
        Path hostErr = Files.createTempFile("meshbus-host", ".err");
        Process host = start(hostErr, "host", "--id", "it-host", "--listen", "tcp://127.0.0.1:0", "--echo", "echo",
                "--status-port", "0");
        BlockingQueue<String> out = lines(host);
        String listening = await(out, "host it-host listening on ");
        String uri = listening.substring(listening.indexOf('[') + 1, listening.indexOf(']'));
        String status = await(out, "status on ").substring("status on ".length());

        Result req = run("request", "--join", uri, "--to", "echo", "{\"hello\":\"world\"}");
        assertThat(req.code()).as(req.err()).isZero();
        JsonNode reply = Payloads.JSON.readTree(req.out());
        assertThat(reply.get("payload").get("hello").asText()).isEqualTo("world");
        Result find = run("find", "--join", uri, "echo");
        assertThat(Payloads.JSON.readTree(find.out()).get("host").asText()).isEqualTo("it-host");
        Result peers = run("peers", "--join", uri);
        assertThat(peers.out().lines()).contains("echo");
        Result missing = run("send", "--join", uri, "--to", "ghost", "{}");
        assertThat(missing.code()).isEqualTo(ExitCodes.NOT_FOUND);
        assertThat(missing.err().trim()).isEqualTo("meshbus: Peer not found (id: ghost)");
        Process sub = start("sub", "--join", uri, "orders.*", "--count", "1");
        BlockingQueue<String> subOut = lines(sub);
        for (int i = 0; i < 30 && subOut.isEmpty(); i++) {
            // The subscriber may still be joining: publish until its first line arrives (bounded).
            Result pub = run("pub", "--join", uri, "orders.eu", "{\"sku\":\"a1\"}");
            assertThat(pub.code()).as(pub.err()).isZero();
            String line = subOut.poll(1, TimeUnit.SECONDS);
            if (line != null) {
                assertThat(Payloads.JSON.readTree(line).get("subject").asText()).isEqualTo("orders.eu");
                break;
            }
        }
        assertThat(sub.waitFor(30, TimeUnit.SECONDS)).isTrue();
        assertThat(sub.exitValue()).isZero();
        Result bad = run("request", "--nope");
        assertThat(bad.code()).isEqualTo(ExitCodes.USAGE);

        dashboardInChromium(status, uri);

        host.destroy();
        assertThat(host.waitFor(30, TimeUnit.SECONDS)).isTrue();
        String err = Files.readString(hostErr);
        assertThat(err).contains("host it-host left the network");
    }

    /** The dashboard in real headless Chromium: its figures change as traffic flows; a screenshot is kept. */
    private void dashboardInChromium(String status, String uri) throws Exception {
        String chromium = Chromium.find();
        if (chromium == null) {
            assertThat(System.getenv("MESHBUS_REQUIRE_BROKERS")).as("chromium is required under "
                    + "MESHBUS_REQUIRE_BROKERS=1 (.ci/run installs it)").isNotEqualTo("1");
            assumeTrue(false, "chromium is not installed: dashboard test skipped");
        }
        String before = Chromium.dumpDom(chromium, status);
        assertThat(before).contains("Host <span id=\"id\">it-host</span>");
        long receivedBefore = Chromium.figure(before, "received");
        for (int i = 0; i < 3; i++) {
            assertThat(run("send", "--join", uri, "--to", "echo", "{\"i\":" + i + "}").code()).isZero();
        }
        String after = Chromium.dumpDom(chromium, status);
        assertThat(Chromium.figure(after, "received")).isGreaterThan(receivedBefore);
        Path shots = Path.of(System.getProperty("meshbus.screenshots", "target/screenshots"));
        Files.createDirectories(shots);
        Path png = Chromium.screenshot(chromium, status, shots.resolve("dashboard.png"));
        assertThat(Files.size(png)).isGreaterThan(1000);
    }
}

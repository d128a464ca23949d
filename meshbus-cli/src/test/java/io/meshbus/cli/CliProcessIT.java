package io.meshbus.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The command as a user runs it: processes started from the shaded jar. A host with an echo peer and a status page;
 * one-shot commands against it; the dashboard in headless Chromium; SIGTERM leaves cleanly.
 */
class CliProcessIT {
    private final MeshbusProcesses jar = new MeshbusProcesses();

    @AfterEach
    void kill() {
        jar.close();
    }

    private Process start(String... args) throws IOException {
        return jar.start(args);
    }

    private Process start(Path stderr, String... args) throws IOException {
        return jar.start(stderr, args);
    }

    private MeshbusProcesses.Result run(String... args) throws Exception {
        return jar.run(args);
    }

    private static BlockingQueue<String> lines(Process p) {
        return MeshbusProcesses.lines(p);
    }

    private static String await(BlockingQueue<String> q, String prefix) throws InterruptedException {
        return MeshbusProcesses.await(q, prefix);
    }

    @Test
    void shouldPrintTheVersionAndTheCommitItWasBuiltFrom() throws Exception {
        MeshbusProcesses.Result r = run("--version");
        assertThat(r.code()).as(r.err()).isZero();
        String version = System.getProperty("meshbus.version", "0.1.0-SNAPSHOT");
        assertThat(r.out().trim()).matches("meshbus " + java.util.regex.Pattern.quote(version)
                + " \\(commit ([0-9a-f]{12}(-dirty)?|unknown)\\)");
        Process git = new ProcessBuilder("git", "rev-parse", "--short=12", "HEAD").redirectErrorStream(true).start();
        String head = new String(git.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
        if (git.waitFor() == 0) {
            assertThat(r.out()).contains("(commit " + head);
        }
    }

    @Test
    void shouldRunTheDemoToTheEnd() throws Exception {
        MeshbusProcesses.Result r = run("demo");
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

        MeshbusProcesses.Result req = run("request", "--join", uri, "--to", "echo", "{\"hello\":\"world\"}");
        assertThat(req.code()).as(req.err()).isZero();
        JsonNode reply = Payloads.JSON.readTree(req.out());
        assertThat(reply.get("payload").get("hello").asText()).isEqualTo("world");
        MeshbusProcesses.Result find = run("find", "--join", uri, "echo");
        assertThat(Payloads.JSON.readTree(find.out()).get("host").asText()).isEqualTo("it-host");
        MeshbusProcesses.Result peers = run("peers", "--join", uri);
        assertThat(peers.out().lines()).contains("echo");
        MeshbusProcesses.Result missing = run("send", "--join", uri, "--to", "ghost", "{}");
        assertThat(missing.code()).isEqualTo(ExitCodes.NOT_FOUND);
        assertThat(missing.err().trim()).isEqualTo("meshbus: Peer not found (id: ghost)");
        Process sub = start("sub", "--join", uri, "orders.*", "--count", "1");
        BlockingQueue<String> subOut = lines(sub);
        for (int i = 0; i < 30 && subOut.isEmpty(); i++) {
            // The subscriber may still be joining: publish until its first line arrives (bounded).
            MeshbusProcesses.Result pub = run("pub", "--join", uri, "orders.eu", "{\"sku\":\"a1\"}");
            assertThat(pub.code()).as(pub.err()).isZero();
            String line = subOut.poll(1, TimeUnit.SECONDS);
            if (line != null) {
                assertThat(Payloads.JSON.readTree(line).get("subject").asText()).isEqualTo("orders.eu");
                break;
            }
        }
        assertThat(sub.waitFor(30, TimeUnit.SECONDS)).isTrue();
        assertThat(sub.exitValue()).isZero();
        MeshbusProcesses.Result bad = run("request", "--nope");
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

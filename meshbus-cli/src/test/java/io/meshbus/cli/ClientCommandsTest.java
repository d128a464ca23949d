package io.meshbus.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import io.meshbus.bus.Host;
import io.meshbus.bus.Peer;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The one-shot commands against a running network, in process; exit codes and one-line errors. */
class ClientCommandsTest {
    private Host host;
    private String seed;

    @BeforeEach
    void startHost() throws Exception {
        host = Host.builder().listen("tcp://127.0.0.1:0").build();
        host.start().get(10, TimeUnit.SECONDS);
        seed = host.info().toString();
        Peer echo = host.create("echo");
        echo.onMessage((from, m) -> {
            if (m.header("replyTo") != null) {
                echo.reply(m, m);
            }
        });
        for (int i = 0; i < 5; i++) {
            host.create("sensor." + i);
        }
    }

    @AfterEach
    void stopHost() throws Exception {
        host.close().get(10, TimeUnit.SECONDS);
    }

    record Run(int code, String out, String err) {
    }

    static Run run(Map<String, String> env, String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        var cl = Main.commandLine(env);
        cl.setOut(new PrintWriter(out, true));
        cl.setErr(new PrintWriter(err, true));
        int code = cl.execute(args);
        return new Run(code, out.toString(), err.toString());
    }

    Run run(String... args) {
        return run(Map.of(), args);
    }

    @Test
    void shouldSendRequestFindAndListPeers() throws Exception {
        Run send = run("send", "--join", seed, "--to", "echo", "{\"n\":1}");
        assertThat(send.code()).as(send.err()).isZero();
        assertThat(send.out()).contains("\"to\":\"echo\"");
        Run req = run("request", "--join", seed, "--to", "echo", "{\"n\":2}");
        assertThat(req.code()).as(req.err()).isZero();
        JsonNode reply = Payloads.JSON.readTree(req.out());
        assertThat(reply.get("payload").get("n").asInt()).isEqualTo(2);
        Run text = run("request", "--join", seed, "--to", "echo", "--codec", "text", "plain words");
        assertThat(Payloads.JSON.readTree(text.out()).get("payload").asText()).isEqualTo("plain words");
        Run find = run("find", "--join", seed, "sensor.3");
        assertThat(Payloads.JSON.readTree(find.out()).get("host").asText()).isEqualTo(host.id());
        Run peers = run("peers", "--join", seed, "--page-size", "2");
        assertThat(peers.out().lines()).containsExactly("echo", "sensor.0", "sensor.1", "sensor.2", "sensor.3",
                "sensor.4");
    }

    @Test
    void shouldSubscribeAndPrintJsonLinesUntilCount() throws Exception {
        CompletableFuture<Run> sub = CompletableFuture.supplyAsync(() -> run("sub", "--join", seed, "orders.*",
                "--count", "2"));
        await().atMost(java.time.Duration.ofSeconds(20)).until(() -> host.metrics().get("remoteInterests") == 1);
        host.publish("orders.eu", Map.of("sku", "a1"));
        host.publish("billing.eu", "ignored");
        host.publish("orders.us", "second");
        Run r = sub.get(20, TimeUnit.SECONDS);
        assertThat(r.code()).as(r.err()).isZero();
        var lines = r.out().lines().toList();
        assertThat(lines).hasSize(2);
        assertThat(Payloads.JSON.readTree(lines.get(0)).get("subject").asText()).isEqualTo("orders.eu");
        assertThat(Payloads.JSON.readTree(lines.get(0)).get("from").asText()).isEqualTo(host.id());
        assertThat(Payloads.JSON.readTree(lines.get(1)).get("subject").asText()).isEqualTo("orders.us");
        Run pub = run("pub", "--join", seed, "orders.x", "{}");
        assertThat(pub.code()).isZero();
    }

    @Test
    void shouldExitWithCodesScriptsCanRelyOn(@TempDir Path dir) throws Exception {
        Run notFound = run("send", "--join", seed, "--to", "nobody", "{}");
        assertThat(notFound.code()).isEqualTo(ExitCodes.NOT_FOUND);
        assertThat(notFound.err().trim()).isEqualTo("meshbus: Peer not found (id: nobody)");
        Run usage = run("send", "--join", seed);
        assertThat(usage.code()).isEqualTo(ExitCodes.USAGE);
        assertThat(usage.err()).startsWith("meshbus: Missing required option");
        Run badJson = run("send", "--join", seed, "--to", "echo", "{not json");
        assertThat(badJson.code()).isEqualTo(ExitCodes.USAGE);
        assertThat(badJson.err().lines()).hasSize(1);
        Run noJoin = run("find", "echo");
        assertThat(noJoin.code()).isEqualTo(ExitCodes.USAGE);
        assertThat(noJoin.err()).contains("--join");
        // Environment beats the config file; flags beat both.
        Path conf = dir.resolve("meshbus.properties");
        Files.writeString(conf, "join=tcp://127.0.0.1:" + io.meshbus.bus.Ports.unused() + "\ntimeout=3s\n");
        Run fromFile = run(Map.of("MESHBUS_CONFIG", conf.toString()), "find", "echo");
        assertThat(fromFile.code()).isEqualTo(ExitCodes.UNREACHABLE);
        Run fromEnv = run(Map.of("MESHBUS_CONFIG", conf.toString(), "MESHBUS_JOIN", seed), "find", "echo");
        assertThat(fromEnv.code()).as(fromEnv.err()).isZero();
        Run unsupported = run("host", "--listen", "tcp://127.0.0.1:0", "--backplane", "amqp://x");
        assertThat(unsupported.code()).isEqualTo(ExitCodes.USAGE);
        assertThat(unsupported.err()).contains("redis://, rediss://, nats:// or tls://");
        Path secret = dir.resolve("secret");
        Files.writeString(secret, "a secret of sufficient length\n");
        Run refused = run("find", "--join", seed, "--secret-file", secret.toString(), "echo");
        assertThat(refused.code()).as(refused.err()).isEqualTo(ExitCodes.AUTHENTICATION);
        Files.writeString(secret, "short");
        assertThat(run("find", "--join", seed, "--secret-file", secret.toString(), "echo").code())
                .isEqualTo(ExitCodes.USAGE);
    }

    @Test
    void shouldReachPeersThroughABackplane() throws Exception {
        String redis = io.meshbus.bus.Brokers.redis();
        String ns = "mbcli-" + java.util.UUID.randomUUID().toString().substring(0, 8);
        Host onRedis = Host.builder().networkId(ns).backplane(io.meshbus.redis.RedisBackplane.builder().uri(redis)
                .namespace(ns).build()).build();
        onRedis.start().get(20, TimeUnit.SECONDS);
        try {
            Peer echo = onRedis.create("bp-echo");
            echo.onMessage((from, m) -> echo.reply(m, m));
            Run req = run("request", "--backplane", redis, "--network-id", ns, "--to", "bp-echo", "{\"n\":5}");
            assertThat(req.code()).as(req.err()).isZero();
            assertThat(Payloads.JSON.readTree(req.out()).get("payload").get("n").asInt()).isEqualTo(5);
            Run find = run(Map.of("MESHBUS_BACKPLANE", redis), "find", "--network-id", ns, "bp-echo");
            assertThat(find.code()).as(find.err()).isZero();
            assertThat(find.out()).contains(onRedis.id());
            Run down = run("find", "--backplane", "redis://127.0.0.1:" + io.meshbus.bus.Ports.unused(), "--timeout",
                    "2s", "bp-echo");
            assertThat(down.code()).as(down.err()).isEqualTo(ExitCodes.UNREACHABLE);
        } finally {
            onRedis.close().get(15, TimeUnit.SECONDS);
        }
    }

    @Test
    void shouldServeStatusJsonMetricsAndHealth() throws Exception {
        try (StatusServer status = new StatusServer(host, "127.0.0.1", 0)) {
            HttpClient http = HttpClient.newHttpClient();
            String base = "http://127.0.0.1:" + status.port();
            HttpResponse<String> page = http.send(HttpRequest.newBuilder(URI.create(base + "/")).build(),
                    HttpResponse.BodyHandlers.ofString());
            assertThat(page.body()).contains("<title>Meshbus host</title>");
            JsonNode s = Payloads.JSON.readTree(http.send(HttpRequest.newBuilder(URI.create(base + "/status"))
                    .build(), HttpResponse.BodyHandlers.ofString()).body());
            assertThat(s.get("id").asText()).isEqualTo(host.id());
            assertThat(s.get("peers").asInt()).isEqualTo(6);
            String metrics = http.send(HttpRequest.newBuilder(URI.create(base + "/metrics")).build(),
                    HttpResponse.BodyHandlers.ofString()).body();
            assertThat(metrics).contains("meshbus_node_messagesReceived_total").contains("meshbus_host_peers");
            assertThat(http.send(HttpRequest.newBuilder(URI.create(base + "/health")).build(),
                    HttpResponse.BodyHandlers.ofString()).statusCode()).isEqualTo(200);
        }
    }
}

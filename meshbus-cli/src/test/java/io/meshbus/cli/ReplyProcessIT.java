package io.meshbus.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.meshbus.bus.Host;
import io.meshbus.bus.Peer;
import io.meshbus.message.Message;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * {@code meshbus reply} answering from the shell, as processes of the shaded jar joined to a host in this JVM, and
 * {@code meshbus request --count --timing}. A reply process runs until SIGTERM, or until --count answers.
 */
class ReplyProcessIT {
    private final MeshbusProcesses jar = new MeshbusProcesses();
    private Host host;
    private String seed;
    private Peer asker;
    private final Map<Process, java.util.concurrent.CompletableFuture<String>> output =
            new java.util.concurrent.ConcurrentHashMap<>();

    @BeforeEach
    void startHost() throws Exception {
        host = Host.builder().listen("tcp://127.0.0.1:0").build();
        host.start().get(10, TimeUnit.SECONDS);
        seed = host.info().toString();
        asker = host.create("asker");
        Peer echo = host.create("echo");
        echo.onMessage((from, m) -> {
            if (m.header("replyTo") != null) {
                echo.reply(m, m);
            }
        });
    }

    @AfterEach
    void stop() throws Exception {
        jar.close();
        host.close().get(10, TimeUnit.SECONDS);
    }

    /** Starts a reply process and waits until the network knows its peer. */
    private Process replying(Path err, String id, String... args) throws Exception {
        String[] all = new String[args.length + 4];
        all[0] = "reply";
        all[1] = id;
        all[2] = "--join";
        all[3] = seed;
        System.arraycopy(args, 0, all, 4, args.length);
        Process p = jar.start(err, all);
        // Read from the start: once the process is gone its output can no longer be read.
        output.put(p, java.util.concurrent.CompletableFuture.supplyAsync(() -> {
            try {
                return new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            } catch (java.io.IOException e) {
                return "";
            }
        }));
        await().atMost(Duration.ofSeconds(30)).until(() -> !p.isAlive() || host.find(id)
                .handle((a, e) -> e == null).get(5, TimeUnit.SECONDS));
        assertThat(p.isAlive()).as("reply %s is running", id).isTrue();
        return p;
    }

    private Message ask(String to, Object payload) throws Exception {
        return asker.request(to, payload, Duration.ofSeconds(10)).get(15, TimeUnit.SECONDS);
    }

    private String out(Process p) throws Exception {
        return output.get(p).get(30, TimeUnit.SECONDS);
    }

    @Test
    void shouldAnswerWithTheCommandsOutputForThePayloadOnItsInput() throws Exception {
        Process reply = replying(null, "shout", "--codec", "text", "--command",
                "tr a-z A-Z; printf \" for $MESHBUS_FROM\"");
        assertThat(ask("shout", "hello").payloadText()).isEqualTo("HELLO for asker");
        assertThat(ask("shout", "again").payloadText()).isEqualTo("AGAIN for asker");
        reply.destroy();
        assertThat(reply.waitFor(30, TimeUnit.SECONDS)).isTrue();
        assertThat(out(reply).lines()).hasSize(2).allMatch(l -> l.contains("\"from\":\"asker\""));
    }

    @Test
    void shouldAnswerWithAFixedAnswerAndStopAfterCount() throws Exception {
        Process reply = replying(null, "orders.quote", "--answer", "{\"price\":42}", "--count", "2");
        assertThat(ask("orders.quote", Map.of("sku", "a1")).payloadText()).isEqualTo("{\"price\":42}");
        // The last answer races the goodbye of the process that gave it, so only the exit is checked here.
        asker.request("orders.quote", Map.of("sku", "b2"), Duration.ofSeconds(10));
        assertThat(reply.waitFor(30, TimeUnit.SECONDS)).isTrue();
        assertThat(reply.exitValue()).isZero();
        assertThat(out(reply).lines()).hasSize(2);
    }

    @Test
    void shouldLeaveARequestUnansweredWhenTheCommandFails(@org.junit.jupiter.api.io.TempDir Path dir)
            throws Exception {
        Path err = dir.resolve("err");
        Process reply = replying(err, "flaky", "--codec", "text", "--command",
                "read x; if [ \"$x\" = fail ]; then exit 3; fi; echo ok");
        assertThat(asker.request("flaky", "fail", Duration.ofMillis(1500))).failsWithin(Duration.ofSeconds(10));
        assertThat(ask("flaky", "fine").payloadText()).isEqualTo("ok\n");
        reply.destroy();
        assertThat(reply.waitFor(30, TimeUnit.SECONDS)).isTrue();
        assertThat(Files.readString(err)).contains("request from asker not answered: 'read x;")
                .contains("exited with 3");
    }

    @Test
    void shouldRefuseToRunWithoutExactlyOneWayToAnswer() throws Exception {
        MeshbusProcesses.Result none = jar.run("reply", "x", "--join", seed);
        assertThat(none.code()).isEqualTo(ExitCodes.USAGE);
        assertThat(none.err().lines()).hasSize(1);
        assertThat(none.err()).contains("--command").contains("--answer");
        MeshbusProcesses.Result both = jar.run("reply", "x", "--join", seed, "--answer", "1", "--command", "true");
        assertThat(both.code()).isEqualTo(ExitCodes.USAGE);
        assertThat(both.err()).contains("mutually exclusive");
    }

    @Test
    void shouldRequestCountTimesAndTimeEachRoundTrip() throws Exception {
        MeshbusProcesses.Result r = jar.run("request", "--join", seed, "--to", "echo", "--count", "3", "--timing",
                "{\"n\":1}");
        assertThat(r.code()).as(r.err()).isZero();
        assertThat(r.out().lines()).hasSize(3).allSatisfy(l -> {
            var line = Payloads.JSON.readTree(l);
            assertThat(line.get("ms").asDouble()).isPositive();
            assertThat(line.get("payload").get("n").asInt()).isEqualTo(1);
        });
        assertThat(r.err()).matches("(?s).*3 requests to echo: min [0-9.]+ ms, avg [0-9.]+ ms, max [0-9.]+ ms.*");
        MeshbusProcesses.Result zero = jar.run("request", "--join", seed, "--to", "echo", "--count", "0", "{}");
        assertThat(zero.code()).isEqualTo(ExitCodes.USAGE);
        assertThat(zero.err()).contains("--count");
    }
}

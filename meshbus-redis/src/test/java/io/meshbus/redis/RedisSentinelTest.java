package io.meshbus.redis;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.meshbus.bus.Host;
import io.meshbus.bus.Outcomes;
import io.meshbus.bus.Peer;
import io.meshbus.bus.Ports;
import io.meshbus.message.Message;
import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assertions;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The Redis backplane behind Sentinel: a primary, a replica and a Sentinel of their own on free loopback ports. The
 * primary is killed (SIGKILL) during traffic in every mode; the Sentinel promotes the replica and the hosts follow
 * it: nothing hangs, at-least-once messages arrive once each, and the network is whole again on the new primary.
 */
class RedisSentinelTest {
    private static final String SERVER = "/usr/bin/redis-server";
    private static final String CLI = "/usr/bin/redis-cli";
    private static final Duration WAIT = Duration.ofSeconds(60);
    private static final int MESSAGES = 200;

    private final String master = "mb-" + UUID.randomUUID().toString().substring(0, 8);
    private final int primaryPort = Ports.unused();
    private final int replicaPort = Ports.unused();
    private final int sentinelPort = Ports.unused();
    private final List<Process> servers = new ArrayList<>();
    private final List<Host> hosts = new ArrayList<>();

    @AfterEach
    void stop() {
        for (Host h : hosts) {
            h.close().orTimeout(15, TimeUnit.SECONDS).exceptionally(e -> null).join();
        }
        for (Process p : servers) {
            p.destroyForcibly();
        }
    }

    private Process start(String... args) throws IOException {
        List<String> cmd = new ArrayList<>(List.of(SERVER));
        cmd.addAll(List.of(args));
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD)
                .start();
        servers.add(p);
        return p;
    }

    private static String cli(int port, String... args) {
        List<String> cmd = new ArrayList<>(List.of(CLI, "-h", "127.0.0.1", "-p", Integer.toString(port)));
        cmd.addAll(List.of(args));
        try {
            Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            p.waitFor(10, TimeUnit.SECONDS);
            return out;
        } catch (IOException e) {
            return "";
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return "";
        }
    }

    private String primaryNamed() {
        return cli(sentinelPort, "SENTINEL", "get-master-addr-by-name", master);
    }

    private Host host(String id) {
        RedisBackplane b = RedisBackplane.builder().uri("redis-sentinel://127.0.0.1:" + sentinelPort + "#" + master)
                .namespace("mbs-" + master).heartbeat(Duration.ofMillis(200)).livenessTimeout(Duration.ofSeconds(15))
                .commandTimeout(Duration.ofSeconds(2)).build();
        Host h = Host.builder().id(id).requestTimeout(Duration.ofSeconds(5)).backplane(b).build();
        hosts.add(h);
        h.start().orTimeout(20, TimeUnit.SECONDS).join();
        return h;
    }

    @Test
    void shouldFollowTheReplicaSentinelPromotesWhenThePrimaryDiesUnderTraffic(@TempDir Path dir) throws Exception {
        for (String tool : List.of(SERVER, CLI)) {
            if (!new File(tool).canExecute()) {
                String why = tool + " is not installed (see the README, section Install)";
                if ("1".equals(System.getenv("MESHBUS_REQUIRE_BROKERS"))) {
                    Assertions.fail(why + "; MESHBUS_REQUIRE_BROKERS=1 makes this a failure");
                }
                Assumptions.abort(why + "; skipped");
            }
        }
        Process primary = start("--port", Integer.toString(primaryPort), "--bind", "127.0.0.1", "--save", "",
                "--appendonly", "no");
        start("--port", Integer.toString(replicaPort), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
                "--replicaof", "127.0.0.1", Integer.toString(primaryPort));
        Path conf = dir.resolve("sentinel.conf");
        Files.writeString(conf, String.join("\n",
                "port " + sentinelPort,
                "bind 127.0.0.1",
                "sentinel monitor " + master + " 127.0.0.1 " + primaryPort + " 1",
                "sentinel down-after-milliseconds " + master + " 1000",
                "sentinel failover-timeout " + master + " 5000",
                ""));
        start(conf.toString(), "--sentinel");
        await().atMost(WAIT).until(() -> cli(replicaPort, "INFO", "replication").contains("master_link_status:up"));
        await().atMost(WAIT).until(() -> primaryNamed().contains(Integer.toString(primaryPort))
                && cli(sentinelPort, "SENTINEL", "replicas", master).contains(Integer.toString(replicaPort)));

        Host h1 = host("s1");
        Host h2 = host("s2");
        await().atMost(WAIT).until(() -> h1.members().contains("s2") && h2.members().contains("s1"));
        Peer a = h1.create("a");
        Map<Integer, AtomicInteger> atLeastOnce = new ConcurrentHashMap<>();
        Peer b = h2.create("b");
        b.onMessage((from, m) -> {
            if ("alo".equals(m.header("kind"))) {
                atLeastOnce.computeIfAbsent(Integer.parseInt(m.payloadText()), k -> new AtomicInteger())
                        .incrementAndGet();
            } else if (m.header("replyTo") != null) {
                b.reply(m, m.payloadText());
            }
        });
        a.send("b", "hello").get(10, TimeUnit.SECONDS);

        List<CompletableFuture<?>> confirmed = new ArrayList<>();
        List<CompletableFuture<?>> alo = new ArrayList<>();
        List<CompletableFuture<?>> requests = new ArrayList<>();
        for (int i = 0; i < MESSAGES; i++) {
            if (i == MESSAGES / 4) {
                primary.destroyForcibly(); // kill -9 of the primary
            }
            confirmed.add(a.send("b", "c" + i));
            alo.add(a.sendAtLeastOnce("b", Message.of(Integer.toString(i)).withHeader("kind", "alo")));
            requests.add(a.request("b", Integer.toString(i), Duration.ofSeconds(5)));
        }
        Outcomes.awaitEnded(confirmed, "confirmed send", 30);
        Outcomes.awaitEnded(requests, "request", 30);
        // The Sentinel promotes the replica; the hosts reconnect to it and the streams deliver what was unacknowledged.
        await().atMost(WAIT).until(() -> primaryNamed().contains(Integer.toString(replicaPort)));
        Outcomes.awaitEnded(alo, "at-least-once send", 30);
        assertThat(Outcomes.of(alo).keySet()).as("b existed all along: never not found").noneMatch(o ->
                o.startsWith("PeerNotFoundException"));
        List<Integer> taken = new ArrayList<>();
        for (int i = 0; i < MESSAGES; i++) {
            if (!alo.get(i).isCompletedExceptionally()) {
                taken.add(i);
            }
        }
        await().atMost(WAIT).untilAsserted(() -> assertThat(atLeastOnce.keySet()).as("every at-least-once message "
                + "whose future completed arrived; outcomes %s", Outcomes.of(alo)).containsAll(taken));
        assertThat(atLeastOnce.values()).as("no at-least-once message twice").allMatch(n -> n.get() == 1);

        await().atMost(WAIT).until(() -> h1.members().contains("s2") && h2.members().contains("s1"));
        await().atMost(WAIT).pollInterval(Duration.ofMillis(200)).ignoreExceptions()
                .untilAsserted(() -> a.send("b", "after").get(5, TimeUnit.SECONDS));
        assertThat(h1.find("b").get(10, TimeUnit.SECONDS).hostId()).isEqualTo("s2");
        long delivered = confirmed.stream().filter(f -> !f.isCompletedExceptionally()).count();
        long answered = requests.stream().filter(f -> !f.isCompletedExceptionally()).count();
        System.out.printf("redis sentinel failover: confirmed %d delivered, %d failed typed; at-least-once %d "
                + "arrived of %d, none twice, outcomes %s; requests %d answered, %d failed typed%n", delivered,
                MESSAGES - delivered, atLeastOnce.size(), MESSAGES, Outcomes.of(alo), answered, MESSAGES - answered);
    }
}

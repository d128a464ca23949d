package io.meshbus.redis;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.lettuce.core.RedisClient;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.api.sync.RedisCommands;
import io.meshbus.bus.Brokers;
import io.meshbus.bus.Host;
import io.meshbus.error.PeerNotFoundException;
import java.time.Duration;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The directory lives in Redis: a crashed or restarted host's entries are never answers and clean themselves up. */
class RedisDirectoryTest {
    private final String uri = Brokers.redis();
    private final String ns = "mbd-" + UUID.randomUUID().toString().substring(0, 8);
    private RedisClient client;
    private StatefulRedisConnection<String, String> conn;
    private Host h1;
    private Host h2;

    @BeforeEach
    void start() {
        client = RedisClient.create(uri);
        conn = client.connect();
        h1 = host("d1");
        h2 = host("d2");
        await().atMost(Duration.ofSeconds(20)).until(() -> h1.members().contains("d2"));
    }

    private Host host(String id) {
        Host h = Host.builder().id(id).backplane(RedisBackplane.builder().uri(uri).namespace(ns)
                .heartbeat(Duration.ofMillis(200)).livenessTimeout(Duration.ofSeconds(1)).build()).build();
        h.start().orTimeout(20, TimeUnit.SECONDS).join();
        return h;
    }

    @AfterEach
    void stop() {
        for (Host h : new Host[] {h1, h2}) {
            if (h != null) {
                h.close().orTimeout(15, TimeUnit.SECONDS).exceptionally(e -> null).join();
            }
        }
        conn.sync().del(ns + ":dir");
        client.shutdown();
    }

    @Test
    void shouldRegisterPeersInRedisAndForgetThemOnRemove() throws Exception {
        RedisCommands<String, String> r = conn.sync();
        h2.create("p");
        await().atMost(Duration.ofSeconds(10)).until(() -> r.hget(ns + ":dir", "p") != null);
        assertThat(r.hget(ns + ":dir", "p")).endsWith(" d2");
        assertThat(h1.find("p").get(10, TimeUnit.SECONDS).hostId()).isEqualTo("d2");
        h2.remove("p");
        await().atMost(Duration.ofSeconds(10)).until(() -> r.hget(ns + ":dir", "p") == null);
    }

    @Test
    void shouldNeverAnswerWithACrashedOrRestartedHostAndCleanUpOnTheWay() {
        RedisCommands<String, String> r = conn.sync();
        r.hset(ns + ":dir", "ghost", "42 crashed-host");
        r.hset(ns + ":dir", "stale", "1 d2");
        assertThatThrownBy(() -> h1.find("ghost").get(10, TimeUnit.SECONDS))
                .hasCauseInstanceOf(PeerNotFoundException.class);
        assertThatThrownBy(() -> h1.find("stale").get(10, TimeUnit.SECONDS))
                .hasCauseInstanceOf(PeerNotFoundException.class);
        assertThat(r.hget(ns + ":dir", "ghost")).isNull();
        assertThat(r.hget(ns + ":dir", "stale")).isNull();
    }

    @Test
    void shouldKeepAnEntryThatAnotherHostTookOver() throws Exception {
        RedisCommands<String, String> r = conn.sync();
        h1.create("mover");
        await().atMost(Duration.ofSeconds(10)).until(() -> r.hget(ns + ":dir", "mover") != null);
        String onH1 = r.hget(ns + ":dir", "mover");
        h2.create("mover");
        await().atMost(Duration.ofSeconds(10)).until(() -> !onH1.equals(r.hget(ns + ":dir", "mover")));
        h1.remove("mover");
        h1.create("marker"); // same connection as the removal: once it is there, the removal ran
        await().atMost(Duration.ofSeconds(10)).until(() -> r.hget(ns + ":dir", "marker") != null);
        assertThat(r.hget(ns + ":dir", "mover")).endsWith(" d2");
    }
}

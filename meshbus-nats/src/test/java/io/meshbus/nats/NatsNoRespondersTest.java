package io.meshbus.nats;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.meshbus.bus.Brokers;
import io.meshbus.bus.Host;
import io.meshbus.bus.Peer;
import io.meshbus.error.MeshbusException;
import java.time.Duration;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * A crashed host is found gone by NATS's no-responders reply once it has been silent for half the liveness timeout,
 * before the timeout itself would expire.
 */
class NatsNoRespondersTest {
    private final String uri = Brokers.nats();
    private final String ns = "mbn-" + UUID.randomUUID().toString().substring(0, 8);
    private Host h1;
    private Host h2;

    private Host host(String id, NatsBackplane bp) {
        Host h = Host.builder().id(id).requestTimeout(Duration.ofSeconds(30)).backplane(bp).build();
        h.start().orTimeout(20, TimeUnit.SECONDS).join();
        return h;
    }

    private NatsBackplane backplane() {
        // The no-responders verdict needs half of this silence; the liveness sweep all of it.
        return NatsBackplane.builder().uri(uri).namespace(ns).heartbeat(Duration.ofMillis(200))
                .livenessTimeout(Duration.ofSeconds(3)).build();
    }

    @AfterEach
    void close() {
        for (Host h : new Host[] {h1, h2}) {
            if (h != null) {
                h.close().orTimeout(15, TimeUnit.SECONDS).exceptionally(e -> null).join();
            }
        }
    }

    @Test
    void shouldForgetACrashedHostAtTheFirstMessageNobodyReads() throws Exception {
        NatsBackplane b1 = backplane();
        NatsBackplane b2 = backplane();
        h1 = host("n1", b1);
        h2 = host("n2", b2);
        await().atMost(Duration.ofSeconds(20)).until(() -> h1.members().contains("n2"));
        Peer a = h1.create("a");
        h2.create("b");
        a.send("b", "before").get(10, TimeUnit.SECONDS);
        b2.abandon();
        java.util.concurrent.CompletableFuture<Void> after = a.send("b", "after");
        // Traffic goes on: one message in 20 ms asks the server whether anybody reads n2's inbox.
        await().atMost(Duration.ofSeconds(20)).pollInterval(Duration.ofMillis(25)).until(() -> {
            a.sendAndForget("b", "anybody?");
            return !h1.members().contains("n2");
        });
        assertThat(b1.metrics().get("noResponders")).as("found by no-responders, not by the liveness sweep")
                .isPositive();
        assertThatThrownBy(() -> after.get(20, TimeUnit.SECONDS)).hasCauseInstanceOf(MeshbusException.class);
        assertThatThrownBy(() -> h1.find("b").get(10, TimeUnit.SECONDS)).hasCauseInstanceOf(MeshbusException.class);
    }
}

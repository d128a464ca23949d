package io.meshbus.bus;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.meshbus.error.PeerNotFoundException;
import io.meshbus.error.RequestTimeoutException;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** Peers the directory does not know, made on demand by a resolver on some host (a gateway's proxies). */
class ResolverTest {
    private final Hosts hosts = new Hosts("tcp");

    @AfterEach
    void close() {
        hosts.close();
    }

    @Test
    void shouldAskTheResolvingHostWhenTheDirectoryFindsNothing() throws Exception {
        Host h1 = hosts.start();
        Host h2 = hosts.start();
        Hosts.join(h2, h1);
        await().atMost(Hosts.WAIT).until(() -> h1.members().size() == 1 && h2.members().size() == 1);
        AtomicInteger asked = new AtomicInteger();
        Hosts.Inbox proxy = new Hosts.Inbox();
        h2.addResolver(id -> {
            asked.incrementAndGet();
            if (!id.startsWith("ext.")) {
                return CompletableFuture.completedFuture(false);
            }
            h2.create(id).onMessage(proxy);
            return CompletableFuture.completedFuture(true);
        });
        // h1 learns that h2 resolves with h2's next message to it; until then ext.a is not found.
        AtomicInteger attempt = new AtomicInteger();
        await().atMost(Hosts.WAIT).ignoreExceptions().untilAsserted(() ->
                h1.create("probe-" + attempt.incrementAndGet()).send("ext.a", "hello").get(10, TimeUnit.SECONDS));
        assertThat(proxy.next().message().payloadText()).isEqualTo("hello");
        assertThat(h1.find("ext.a").get(10, TimeUnit.SECONDS).hostId()).isEqualTo(h2.id());
        Peer sender = h1.create("sender");
        assertThatThrownBy(() -> sender.send("nobody", "x").get(10, TimeUnit.SECONDS))
                .hasCauseInstanceOf(PeerNotFoundException.class).cause().hasMessage("Peer not found (id: nobody)");
        assertThat(asked.get()).isGreaterThanOrEqualTo(2);
    }

    @Test
    void shouldBoundALookupByTheCallsOwnTimeout() throws Exception {
        Host h1 = hosts.start();
        Host h2 = hosts.start();
        Hosts.join(h2, h1);
        await().atMost(Hosts.WAIT).until(() -> h1.members().size() == 1 && h2.members().size() == 1);
        // A resolver that never answers keeps the lookup going for its own bound (seconds).
        CompletableFuture<Boolean> never = new CompletableFuture<>();
        h1.addResolver(id -> never);
        Peer sender = h1.create("sender");
        assertThatThrownBy(() -> sender.send("ghost", "x", Duration.ofMillis(300)).get(3, TimeUnit.SECONDS))
                .hasCauseInstanceOf(RequestTimeoutException.class);
        assertThatThrownBy(() -> sender.request("ghost", "x", Duration.ofMillis(300)).get(3, TimeUnit.SECONDS))
                .hasCauseInstanceOf(RequestTimeoutException.class);
    }
}

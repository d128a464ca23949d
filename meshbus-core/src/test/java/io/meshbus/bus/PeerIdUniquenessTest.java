package io.meshbus.bus;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.meshbus.error.MeshbusException;
import io.meshbus.error.PeerIdTakenException;
import io.meshbus.message.Message;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** A peer id names one peer in the whole network, and two parts that each had it settle it one way. */
class PeerIdUniquenessTest {
    @Test
    void shouldRefuseToClaimAnIdAReachableHostHolds() throws Exception {
        try (Hosts net = new Hosts("tcp")) {
            Host a = net.start();
            Host b = net.start();
            Hosts.join(b, a);
            a.create("alice");
            assertThatThrownBy(() -> b.claim("alice").get(20, TimeUnit.SECONDS))
                    .hasCauseInstanceOf(PeerIdTakenException.class).hasMessageContaining(a.id());
            Peer free = b.claim("bob").get(20, TimeUnit.SECONDS);
            assertThat(free.id()).isEqualTo("bob");
            assertThat(b.get("alice")).isNull();
        }
    }

    @Test
    void shouldGiveTheIdToTheOlderPeerWhenTwoPartsMeetAndTellTheOther() throws Exception {
        try (Hosts net = new Hosts("tcp")) {
            // Host ids sort in creation order, so age and the tie-break agree on the winner.
            Host older = net.start(Hosts.unique("a"));
            Host newer = net.start(Hosts.unique("b"));
            Peer kept = older.create("bob");
            Hosts.Inbox keptInbox = Hosts.Inbox.of(kept);
            Peer loser = newer.create("bob");
            Peer silent = newer.create("silent");
            CompletableFuture<MeshbusException> told = new CompletableFuture<>();
            loser.onRemoved(told::complete);
            CompletableFuture<Message> waiting = loser.request("silent", "are you there?", Duration.ofSeconds(60));
            assertThat(silent.id()).isEqualTo("silent");

            Hosts.join(newer, older);

            assertThat(told.get(20, TimeUnit.SECONDS)).isInstanceOf(PeerIdTakenException.class)
                    .hasMessageContaining(older.id());
            assertThatThrownBy(() -> waiting.get(20, TimeUnit.SECONDS)).hasCauseInstanceOf(PeerIdTakenException.class);
            assertThat(loser.isRemoved()).isTrue();
            assertThat(newer.get("bob")).isNull();
            assertThat(older.get("bob")).isSameAs(kept);
            assertThat(newer.metrics().get("peerIdsLost")).isEqualTo(1L);

            // Messages for the id reach the one peer that kept it, from either side.
            Peer sender = newer.create("sender");
            sender.send("bob", "hello").get(20, TimeUnit.SECONDS);
            assertThat(keptInbox.next().message().payloadText()).contains("hello");
            assertThat(newer.find("bob").get(20, TimeUnit.SECONDS).hostId()).isEqualTo(older.id());
            assertThat(kept.isRemoved()).isFalse();
        }
    }

    @Test
    void shouldLetAPluggableResolverChoose() throws Exception {
        PeerIdResolver newest = (x, y) -> PeerIdResolver.OLDEST.choose(x, y) == x ? y : x;
        try (Hosts net = new Hosts("tcp")) {
            Host first = net.start(net.builder(Hosts.unique("a")).peerIdResolver(newest));
            Host second = net.start(net.builder(Hosts.unique("b")).peerIdResolver(newest));
            Peer old = first.create("carol");
            CompletableFuture<MeshbusException> told = new CompletableFuture<>();
            old.onRemoved(told::complete);
            second.create("carol");
            Hosts.join(second, first);
            assertThat(told.get(20, TimeUnit.SECONDS)).isInstanceOf(PeerIdTakenException.class);
            await().atMost(Hosts.WAIT).until(() -> second.get("carol") != null && first.get("carol") == null);
        }
    }

    @Test
    void shouldTellARemovedPeerItWasRemovedByItsOwner() throws Exception {
        try (Hosts net = new Hosts("mem")) {
            Host h = net.start();
            Peer p = h.create("dave");
            CompletableFuture<MeshbusException> told = new CompletableFuture<>();
            p.onRemoved(e -> told.complete(e));
            p.remove();
            assertThat(told.get(10, TimeUnit.SECONDS)).isNull();
            CompletableFuture<MeshbusException> late = new CompletableFuture<>();
            p.onRemoved(late::complete);
            assertThat(late.get(10, TimeUnit.SECONDS)).isNull();
        }
    }
}

package io.meshbus.bus.directory;

import static org.assertj.core.api.Assertions.assertThat;

import io.meshbus.bus.membership.Membership;
import io.meshbus.bus.protocol.BusMetrics;
import io.meshbus.bus.protocol.FakeBusContext;
import io.meshbus.bus.protocol.FakeClock;
import io.meshbus.bus.protocol.LocalPeerIds;
import io.meshbus.bus.request.HostCalls;
import io.meshbus.bus.request.PendingOps;
import io.meshbus.error.PeerNotFoundException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** The lookup rules, without hosts: one lookup per peer id, waiters in order, retries only while membership settles. */
class LookupTest {
    private final FakeBusContext ctx = new FakeBusContext("h1");
    private final FakeClock clock = ctx.clock;
    private final BusMetrics metrics = ctx.metrics;
    private final LocalPeerIds noPeers = new LocalPeerIds() {
        @Override
        public boolean has(String peerId) {
            return false;
        }

        @Override
        public long createdAt(String peerId) {
            return -1;
        }

        @Override
        public Collection<String> ids() {
            return Set.of();
        }
    };

    private PeerLocator locator() {
        Membership membership = new Membership(ctx, null, Duration.ofSeconds(5), () -> null, () -> false,
                uri -> new CompletableFuture<>());
        PendingOps pending = new PendingOps(clock, Runnable::run);
        return new PeerDirectory(ctx, membership, noPeers, pending,
                new HostCalls(ctx.carrier(), pending, Duration.ofSeconds(5)), (id, at, winner) -> { }, null).locator();
    }

    @Test
    void shouldShareOneLookupPerIdAndAnswerItsWaitersInOrder() {
        PeerLocator locator = locator();
        List<String> order = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            int n = i;
            boolean now = locator.route("ghost", (h, cached) -> order.add("host " + n),
                    e -> order.add(n + " " + e.getClass().getSimpleName()));
            assertThat(now).isFalse();
        }
        assertThat(locator.lookups).hasSize(1);
        // Membership changed just now (this host started): a miss is retried, up to the bound, then it is not found.
        assertThat(clock.waiting()).isEqualTo(1);
        clock.advance(1, TimeUnit.SECONDS);
        assertThat(order).containsExactly("0 PeerNotFoundException", "1 PeerNotFoundException",
                "2 PeerNotFoundException");
        assertThat(clock.waiting()).isZero();
        assertThat(locator.lookups).isEmpty();
        assertThat(metrics.notFound.sum()).isEqualTo(1);
        // Alone, this host is the only owner: no message left it.
        assertThat(ctx.sent).isEmpty();
    }

    @Test
    void shouldNotRetryOnceMembershipHasSettled() {
        PeerLocator locator = locator();
        clock.advance(Lookup.SETTLE_NANOS + 1, TimeUnit.NANOSECONDS);
        CompletableFuture<String> f = locator.find("ghost");
        assertThat(f).isCompletedExceptionally();
        assertThat(f.handle((v, e) -> e).join()).isInstanceOf(PeerNotFoundException.class);
        assertThat(clock.waiting()).isZero();
    }
}

package io.meshbus.bus.directory;

import static org.assertj.core.api.Assertions.assertThat;

import io.meshbus.bus.HostOptions;
import io.meshbus.bus.membership.Membership;
import io.meshbus.bus.protocol.BusClock;
import io.meshbus.bus.protocol.BusContext;
import io.meshbus.bus.protocol.BusMetrics;
import io.meshbus.bus.protocol.FakeClock;
import io.meshbus.bus.protocol.HostCarrier;
import io.meshbus.bus.protocol.LocalPeerIds;
import io.meshbus.bus.request.HostCalls;
import io.meshbus.bus.request.PendingOps;
import io.meshbus.error.PeerNotFoundException;
import io.meshbus.message.Message;
import io.meshbus.node.SendStatus;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** The lookup rules, without hosts: one lookup per peer id, waiters in order, retries only while membership settles. */
class LookupTest {
    private final FakeClock clock = new FakeClock();
    private final BusMetrics metrics = new BusMetrics();
    private final List<String> sent = new ArrayList<>();
    private final HostOptions options = HostOptions.builder().id("h1").requestTimeout(Duration.ofSeconds(5)).options();
    private final HostCarrier carrier = new HostCarrier() {
        @Override
        public SendStatus send(String host, Message m) {
            sent.add(host);
            return SendStatus.SENT;
        }

        @Override
        public int send(Collection<String> hosts, Message m) {
            hosts.forEach(sent::add);
            return hosts.size();
        }

        @Override
        public boolean isLinked(String host) {
            return true;
        }

        @Override
        public boolean keep(String host, boolean keep) {
            return true;
        }

        @Override
        public void drop(String host) {
        }
    };
    private final BusContext ctx = new BusContext() {
        @Override
        public String id() {
            return "h1";
        }

        @Override
        public long incarnation() {
            return 1;
        }

        @Override
        public HostOptions options() {
            return options;
        }

        @Override
        public Executor executor() {
            return Runnable::run;
        }

        @Override
        public HostCarrier carrier() {
            return carrier;
        }

        @Override
        public BusClock clock() {
            return clock;
        }

        @Override
        public BusMetrics metrics() {
            return metrics;
        }

        @Override
        public boolean isClosed() {
            return false;
        }
    };
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
                new HostCalls(carrier, pending, Duration.ofSeconds(5)), (id, at, winner) -> { }, null).locator();
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
        assertThat(sent).isEmpty();
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

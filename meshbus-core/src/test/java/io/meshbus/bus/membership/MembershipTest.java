package io.meshbus.bus.membership;

import static org.assertj.core.api.Assertions.assertThat;

import io.meshbus.bus.protocol.BusOps;
import io.meshbus.bus.protocol.FakeBusContext;
import java.net.URI;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;

/** Joining, without hosts: the ops arrive in the orders a real network can deliver them. */
class MembershipTest {
    private final FakeBusContext ctx = new FakeBusContext("newcomer");
    private final Membership membership = new Membership(ctx, null, Duration.ofSeconds(5), () -> null, () -> false,
            uri -> CompletableFuture.completedFuture(uri.getHost()));

    private static Map<String, Object> hello(String address) {
        return Map.of("address", address);
    }

    @Test
    void shouldCompleteAJoinOnlyOnceAMemberThatDialledInFirstHasSaidItsInterests() {
        CompletableFuture<Void> join = membership.join(List.of(URI.create("mem://seed")));
        // The seed told the others of the newcomer, and one of them dialled in before the seed's member list arrived.
        membership.onHello("other", BusOps.control(BusOps.HELLO, hello("mem://other")));
        membership.onHello("seed", BusOps.control(BusOps.HELLO, hello("mem://seed")));
        membership.interestsKnown("seed");
        membership.onMembers("seed", BusOps.control(BusOps.MEMBERS,
                List.of(Map.of("id", "other", "address", "mem://other"))));
        assertThat(membership.members()).containsExactly("other", "seed");
        // A publish now would miss what "other" subscribed to: the join is not done until its interests are known.
        assertThat(join).isNotDone();
        membership.interestsKnown("other");
        assertThat(join).isCompleted();
    }

    @Test
    void shouldCompleteAJoinOnceTheMembersTheSeedNamedAreAdmitted() {
        CompletableFuture<Void> join = membership.join(List.of(URI.create("mem://seed")));
        membership.onHello("seed", BusOps.control(BusOps.HELLO, hello("mem://seed")));
        membership.interestsKnown("seed");
        membership.onMembers("seed", BusOps.control(BusOps.MEMBERS,
                List.of(Map.of("id", "other", "address", "mem://other"))));
        assertThat(join).isNotDone();
        membership.onHello("other", BusOps.control(BusOps.HELLO, hello("mem://other")));
        assertThat(join).isNotDone();
        membership.interestsKnown("other");
        assertThat(join).isCompleted();
        assertThat(ctx.sentTo()).contains("seed", "other");
    }
}

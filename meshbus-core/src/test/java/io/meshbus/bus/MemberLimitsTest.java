package io.meshbus.bus;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.meshbus.error.BackPressureException;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** Per-member limits: the member over its share is refused, typed and counted; everyone else keeps flowing. */
class MemberLimitsTest {
    private final Hosts hosts = new Hosts("tcp");

    @AfterEach
    void close() {
        hosts.close();
    }

    private List<Host> three(HostOptions.Builder first) {
        Host h1 = hosts.start(first);
        Host h2 = hosts.start();
        Host h3 = hosts.start();
        Hosts.join(h2, h1);
        Hosts.join(h3, h1);
        List<Host> all = List.of(h1, h2, h3);
        await().atMost(Hosts.WAIT).until(() -> all.stream().allMatch(h -> h.members().size() == 2));
        return all;
    }

    @Test
    void shouldRefuseSubscriptionsPastTheLimitOfOneMemberOnly() throws Exception {
        List<Host> net = three(hosts.builder(Hosts.unique("limited")).maxSubscriptionsPerMember(2));
        Host h1 = net.get(0);
        Hosts.Inbox a = new Hosts.Inbox();
        net.get(1).subscribe("a", a).get(10, TimeUnit.SECONDS);
        net.get(1).subscribe("b", (f, m) -> { }).get(10, TimeUnit.SECONDS);
        assertThatThrownBy(() -> net.get(1).subscribe("c", (f, m) -> { }).get(10, TimeUnit.SECONDS))
                .hasCauseInstanceOf(BackPressureException.class).cause().hasMessageContaining("its limit");
        Hosts.Inbox other = new Hosts.Inbox();
        net.get(2).subscribe("c", other).get(10, TimeUnit.SECONDS);
        h1.publish("a", "to b");
        h1.publish("c", "to c");
        assertThat(a.next().message().payloadText()).isEqualTo("to b");
        assertThat(other.next().message().payloadText()).isEqualTo("to c");
        assertThat(h1.metrics().get("limitRefusals")).isEqualTo(1L);
    }

    @Test
    void shouldRefuseDirectoryEntriesPastTheLimitOfOneMemberAndStillRouteByItsHost() throws Exception {
        // Two hosts: each owns every peer id's registration, so all ten of h2's peers are offered to h1.
        Host h1 = hosts.start(hosts.builder(Hosts.unique("limited")).maxRegistrationsPerMember(3));
        Host h2 = hosts.start();
        Hosts.join(h2, h1);
        await().atMost(Hosts.WAIT).until(() -> h1.members().size() == 1 && h2.members().size() == 1);
        Hosts.Inbox first = Hosts.Inbox.of(h2.create("many-0"));
        for (int i = 1; i < 10; i++) {
            h2.create("many-" + i);
        }
        await().atMost(Hosts.WAIT).until(() -> h1.metrics().get("limitRefusals") == 7L);
        assertThat(h1.metrics().get("directoryEntries")).isEqualTo(3L);
        // Refused entries are still found through the peers' own host, the other owner.
        assertThat(h1.find("many-9").get(10, TimeUnit.SECONDS).hostId()).isEqualTo(h2.id());
        h1.create("sender").send("many-0", "x").get(10, TimeUnit.SECONDS);
        assertThat(first.next().message().payloadText()).isEqualTo("x");
    }
}

package io.meshbus.bench;

import static io.meshbus.bench.BusContender.BUS;
import static io.meshbus.bench.BusContender.BUS_AT_LEAST_ONCE;
import static io.meshbus.bench.BusContender.BUS_CONFIRMED;
import static io.meshbus.bench.NodeContender.NODE;
import static io.meshbus.bench.PubSubContender.FANOUT;
import static io.meshbus.bench.PubSubContender.PUBLISH;
import static io.meshbus.bench.RawDatagramContender.RAW_UDP;
import static io.meshbus.bench.RawSocketContender.RAW;

import io.meshbus.bench.backplane.BackplaneScenario;
import io.meshbus.bench.hostile.HostileScenario;
import io.meshbus.bench.peers.PeersScenario;
import io.meshbus.bench.soak.SoakScenario;
import java.util.List;
import java.util.stream.Stream;

/**
 * Every scenario, in the order {@code --list} shows them, and every contender a child JVM can be started as. A
 * scenario of two contenders is one line here: its name, what it measures, the subject and the baseline.
 */
final class Catalog {
    private static final List<Scenario> SCENARIOS = List.of(
            new ThroughputScenario("node-throughput", "one-way messages, counted on delivery to the listener; "
                    + "baseline: a framed stream on a raw socket", NODE, RAW),
            new RttScenario("node-rtt", "request/echo round trips, one in flight; baseline: the same ping-pong on "
                    + "a raw socket", NODE, RAW),
            new ThroughputScenario("bus-send-confirmed", "confirmed peer-to-peer sends, at most "
                    + BusContender.IN_FLIGHT + " unconfirmed, counted on confirmation; baseline: a framed stream on a "
                    + "raw socket", BUS_CONFIRMED, RAW),
            new ThroughputScenario("bus-send-at-least-once", "at-least-once peer-to-peer sends, at most "
                    + BusContender.IN_FLIGHT + " unacknowledged, counted on acknowledgement; baseline: "
                    + "bus-send-confirmed's confirmed sends, same run", BUS_AT_LEAST_ONCE, BUS_CONFIRMED),
            new ThroughputScenario("bus-send", "fire-and-forget peer-to-peer messages, counted on delivery to the "
                    + "peer's listener; baseline: node-throughput's node", BUS, NODE),
            new RttScenario("bus-request-rtt", "peer-to-peer request/reply, one in flight; baseline: the same "
                    + "ping-pong on a raw socket", BUS, RAW),
            new BusScaleScenario(),
            new SoakScenario(),
            new ThroughputScenario("bus-publish", "host.publish to one subscriber host, counted on delivery to the "
                    + "subscription's listener; baseline: node-throughput's node", PUBLISH, NODE),
            new ThroughputScenario("bus-fanout", "host.publish to " + PubSubContender.FANOUT_HOSTS + " subscriber "
                    + "hosts in one JVM, all deliveries counted; baseline: bus-publish", FANOUT, PUBLISH),
            new RttScenario("route-request", "tcp client.request to a post handler returning the message: "
                    + RouteContenders.IN_FLIGHT + " in flight, and one at a time; baseline: the same on a raw socket",
                    RouteContenders.TCP, RAW, RouteContenders.IN_FLIGHT),
            new ThroughputScenario("udp-throughput", "udp4 one-way client.send to a post handler that counts; "
                    + "baseline: a raw DatagramChannel pair", RouteContenders.UDP, RAW_UDP),
            new SubjectMatchScenario(),
            new PeersScenario(),
            new HostileScenario());

    private static final List<TwoJvmContender> CHILD_CONTENDERS = Stream.of(List.of(NODE, NodeContender.NODE_FAST,
            RAW, BUS, BusContender.BUS_FAST, BUS_CONFIRMED, BUS_AT_LEAST_ONCE, PUBLISH, FANOUT, RouteContenders.TCP, RouteContenders.UDP, RAW_UDP),
            PeersScenario.CHILD_CONTENDERS).flatMap(List::stream).toList();

    private Catalog() {
    }

    static List<Scenario> scenarios() {
        return Stream.of(SCENARIOS, BackplaneScenario.all()).flatMap(List::stream).toList();
    }

    /** The contender a child JVM was started as. */
    static TwoJvmContender childContender(String name) {
        return CHILD_CONTENDERS.stream().filter(c -> c.name().equals(name)).findFirst()
                .orElseThrow(() -> new IllegalArgumentException("unknown contender: " + name));
    }
}

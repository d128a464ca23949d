package io.meshbus.bench.peers;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.meshbus.bench.BenchMain;
import io.meshbus.bench.Result;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * {@code peers} through the command line's entry point in its quick mode, with raw TCP and the Meshbus contenders
 * (the other libraries need a server or a cluster and are left to the benchmark itself): every contender gives its
 * rows. What the figures are worth is the benchmark's business, not this test's: nothing here judges a time.
 */
class PeersScenarioTest {
    private static final List<String> ROUND_TRIPS = List.of("raw", "node", "bus", "route-tcp", "node-fast", "bus-fast");
    private static final List<String> STREAMS = List.of("raw", "node", "bus", "bus-publish");

    @Test
    @Timeout(value = 240, unit = TimeUnit.SECONDS)
    void shouldGiveEveryContenderItsRowsInTheQuickMode() throws Exception {
        ByteArrayOutputStream captured = new ByteArrayOutputStream();
        int code = BenchMain.run(new String[] {"peers", "--quick", "--contenders",
                "node,bus,route-tcp,bus-publish,node-fast,bus-fast",
                "--json"}, new PrintStream(captured, true, StandardCharsets.UTF_8));
        String out = captured.toString(StandardCharsets.UTF_8);
        assertThat(code).as(out).isZero();

        ObjectMapper json = new ObjectMapper();
        List<String> rows = new ArrayList<>();
        for (String line : out.lines().filter(l -> !l.isBlank()).toList()) {
            JsonNode n = json.readTree(line);
            assertThat(n.path("scenario").asText()).isEqualTo("peers");
            assertThat(n.path("value").isNumber()).as(line).isTrue();
            assertThat(n.path("baseline").isNumber()).as(line).isTrue();
            rows.add(n.path("contender").asText() + " " + n.path("figure").asText());
        }
        for (String c : ROUND_TRIPS) {
            assertThat(rows).as(out).contains(c + " rtt-p50", c + " rtt-p99", c + " rtt-p999");
        }
        for (String c : STREAMS) {
            assertThat(rows).as(out).contains(c + " throughput");
        }
    }

    @Test
    void shouldPrintOneRowPerContenderWithRatiosToRawAndToTheBestPeer() {
        List<Result> results = new ArrayList<>();
        for (String p : PeersScenario.PERCENTILES) {
            results.add(new Result("peers", "rtt-" + p, 50, "us", 50, List.of(), null, "raw", 80));
            results.add(new Result("peers", "rtt-" + p, 80, "us", 50, List.of(), null, "jeromq", 80));
            results.add(new Result("peers", "rtt-" + p, 100, "us", 50, List.of(), null, "node", 80));
        }
        results.add(new Result("peers", "throughput", 1e7, "msgs/s", 1e7, List.of(), null, "raw", 5e5));
        results.add(new Result("peers", "throughput", 2e6, "msgs/s", 1e7, List.of("a doubt"), null, "node", 5e5));

        List<String> lines = PeerTable.render(results).lines().toList();

        assertThat(lines.get(0)).contains("p50", "p99", "p999", "p50/raw", "p999/best");
        assertThat(lines).anySatisfy(l -> assertThat(l).startsWith("raw TCP ping-pong").contains("0.63"));
        assertThat(lines).anySatisfy(l -> assertThat(l).startsWith("JeroMQ REQ/REP").contains("1.60", "1.00"));
        assertThat(lines).anySatisfy(l -> assertThat(l).startsWith("Meshbus node round trip").contains("2.00",
                "1.25"));
        assertThat(lines).anySatisfy(l -> assertThat(l).startsWith("Meshbus node send").contains("2,000,000",
                "0.20", "4.00"));
        assertThat(lines).noneSatisfy(l -> assertThat(l).startsWith("Vert.x"));
        assertThat(lines).anySatisfy(l -> assertThat(l).contains("WARNING").contains("a doubt"));
    }
}

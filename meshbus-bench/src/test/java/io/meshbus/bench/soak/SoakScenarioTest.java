package io.meshbus.bench.soak;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.meshbus.bench.BenchMain;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * A short soak through the command line's entry point: 3 s of traffic with one fault (a cut, the first of the
 * rotation), then the JSON figures. It checks the report is whole and that the two modes that promise no duplicate
 * had none; losses are what the scenario measures, not what this test judges.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class SoakScenarioTest {
    private static final List<String> MODES = List.of("fire-and-forget", "confirmed", "at-least-once", "publish");
    private static final List<String> PER_MODE = List.of("sent", "delivered", "lost", "duplicated", "reordered",
            "failed", "p50", "p99", "max");
    private static final List<String> OTHERS = List.of("faults.cut", "faults.reset", "faults.stall", "faults.delay",
            "faults.half-open", "links.reconnects", "drops.dropped", "drops.publishesRefused",
            "drops.messagesDropped", "drops.messagesFailed", "heap.start", "heap.end", "heap.max");

    @Test
    void shouldReportEveryFigureOfEveryModeAndNoDuplicateOfTheConfirmingModes() throws Exception {
        ByteArrayOutputStream captured = new ByteArrayOutputStream();
        // A fault every 2 s in a 3 s run: one cut, healed before the sender stops.
        int code = BenchMain.run(new String[] {"soak", "--seconds", "3", "--fault-every", "2", "--rate", "1000",
                "--json"}, new PrintStream(captured, true, StandardCharsets.UTF_8));
        String out = captured.toString(StandardCharsets.UTF_8);
        assertThat(code).as(out).isZero();

        ObjectMapper json = new ObjectMapper();
        Map<String, JsonNode> figures = new LinkedHashMap<>();
        for (String line : out.lines().filter(l -> !l.isBlank()).toList()) {
            JsonNode n = json.readTree(line);
            assertThat(n.path("scenario").asText()).isEqualTo("soak");
            for (String field : List.of("figure", "value", "unit", "baseline", "ratio")) {
                assertThat(n.has(field)).as(field + " in " + line).isTrue();
            }
            figures.put(n.get("figure").asText(), n);
        }
        List<String> expected = new ArrayList<>();
        for (String mode : MODES) {
            PER_MODE.forEach(f -> expected.add(mode + "." + f));
        }
        expected.addAll(OTHERS);
        assertThat(figures).as(out).containsKeys(expected.toArray(new String[0]));

        assertThat(value(figures, "faults.cut")).as(out).isEqualTo(1);
        assertThat(value(figures, "faults.reset") + value(figures, "faults.stall") + value(figures, "faults.delay")
                + value(figures, "faults.half-open")).as(out).isZero();
        for (String mode : MODES) {
            assertThat(value(figures, mode + ".sent")).as(mode + " sent, in " + out).isPositive();
        }
        assertThat(value(figures, "confirmed.duplicated")).as(out).isZero();
        assertThat(value(figures, "at-least-once.duplicated")).as(out).isZero();
        assertThat(value(figures, "heap.start")).as(out).isPositive();
    }

    private static double value(Map<String, JsonNode> figures, String figure) {
        return figures.get(figure).get("value").asDouble();
    }
}

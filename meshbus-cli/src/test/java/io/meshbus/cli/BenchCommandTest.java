package io.meshbus.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.junit.jupiter.api.Test;

class BenchCommandTest {
    @Test
    void shouldPrintFiguresAsATableWithBaselinesAndRatios() throws Exception {
        String t = BenchCommand.table(List.of(
                "{\"scenario\":\"node-rtt\",\"figure\":\"p50\",\"value\":58.1,\"unit\":\"us\",\"baseline\":55.0,"
                        + "\"ratio\":1.06}",
                "{\"scenario\":\"node-throughput\",\"figure\":\"throughput\",\"value\":8005611.3,"
                        + "\"unit\":\"msgs/s\",\"baseline\":17925929.8,\"ratio\":0.45}",
                "{\"scenario\":\"bus-scale\",\"figure\":\"heap-per-peer\",\"value\":128.7,\"unit\":\"bytes\","
                        + "\"baseline\":null,\"ratio\":null}"));
        List<String> lines = t.lines().toList();
        assertThat(lines.get(0)).startsWith("scenario").contains("figure").contains("value").contains("baseline")
                .endsWith("ratio");
        assertThat(lines.get(1)).contains("58.1 us").contains("55 us").endsWith("1.06");
        assertThat(lines.get(2)).contains("8,005,611 msgs/s").contains("17,925,930 msgs/s").endsWith("0.45");
        assertThat(lines.get(3)).contains("128.7 bytes").endsWith("-");
    }

    @Test
    void shouldRefuseAnUnknownScenarioWithExitTwo() {
        assertThat(ClientCommandsTest.run(java.util.Map.of(), "bench", "no-such-scenario").code()).isEqualTo(2);
    }
}

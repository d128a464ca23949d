package io.meshbus.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * {@code meshbus bench hostile --quick} as a user runs it, from the shaded jar: every attack gives its row of figures
 * and the host survives them all (no restart, and it ends on SIGTERM). What the figures are worth is the benchmark's
 * business: nothing here judges a time or a size.
 */
class HostileBenchIT {
    private static final String JAR = System.getProperty("meshbus.jar", "target/meshbus.jar");
    private static final List<String> ATTACKS = List.of("baseline", "silent-ws", "slow-status", "big-frames",
            "refused-hello", "flood-and-vanish", "connect-storm");
    private static final List<String> FIGURES = List.of("duration", "held-peak", "heap-before", "heap-peak",
            "heap-after", "rss-before", "rss-peak", "rss-after", "threads-before", "threads-after", "fds-before",
            "fds-after", "echo-p50", "echo-p99", "echo-served", "echo-failed", "health-failed", "log", "recovered");

    @Test
    @Timeout(value = 300, unit = TimeUnit.SECONDS)
    void everyAttackGivesItsRowAndTheHostSurvivesThemAll() throws Exception {
        Path out = Files.createTempFile("hostile-quick", ".json");
        Path err = Files.createTempFile("hostile-quick", ".err");
        String java = ProcessHandle.current().info().command().orElse("java");
        Process p = new ProcessBuilder(java, "-Xms512m", "-Xmx512m", "-XX:+UseParallelGC",
                "-XX:+ExitOnOutOfMemoryError", "-jar", JAR, "bench", "hostile", "--quick", "--json")
                .redirectOutput(out.toFile()).redirectError(err.toFile()).start();
        p.getOutputStream().close();
        boolean done = p.waitFor(280, TimeUnit.SECONDS);
        if (!done) {
            p.destroyForcibly();
        }
        String stderr = Files.readString(err, StandardCharsets.UTF_8);
        assertThat(done).as(stderr).isTrue();
        assertThat(p.exitValue()).as(stderr).isZero();

        Map<String, Map<String, JsonNode>> rows = new HashMap<>();
        for (String line : Files.readAllLines(out, StandardCharsets.UTF_8)) {
            if (line.isBlank()) {
                continue;
            }
            JsonNode n = Payloads.JSON.readTree(line);
            assertThat(n.path("scenario").asText()).isEqualTo("hostile");
            rows.computeIfAbsent(n.path("contender").asText(), k -> new HashMap<>()).put(n.path("figure").asText(), n);
        }
        for (String attack : ATTACKS) {
            assertThat(rows).as("the row of %s", attack).containsKey(attack);
            assertThat(rows.get(attack).keySet()).as("the figures of %s", attack).containsAll(FIGURES);
            assertThat(rows.get(attack).get("heap-after").path("value").isNumber())
                    .as("%s: the host's heap was measured after the attack", attack).isTrue();
        }
        List<String> warnings = new ArrayList<>();
        rows.values().forEach(f -> f.values().forEach(n -> n.path("warnings").forEach(w -> warnings.add(w.asText()))));
        assertThat(warnings).as("the host survived every attack").noneMatch(w -> w.startsWith("the host exited"));
        Map<String, JsonNode> host = rows.get("host");
        assertThat(host).as("the host's figures").containsKeys("restarts", "sigterm-exit", "log-total");
        assertThat(host.get("restarts").path("value").asDouble()).as("no attack took the host down").isZero();
        assertThat(host.get("sigterm-exit").path("value").isNumber()).as("the host ended on SIGTERM: " + stderr)
                .isTrue();
    }
}

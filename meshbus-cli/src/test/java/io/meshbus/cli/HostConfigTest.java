package io.meshbus.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code meshbus host --config FILE}: what the file may hold, what it is refused for, and --print-config. */
class HostConfigTest {
    @TempDir
    Path dir;

    private Path yaml(String text) throws Exception {
        return Files.writeString(dir.resolve("meshbus.yaml"), text);
    }

    private static ClientCommandsTest.Run run(Map<String, String> env, String... args) {
        return ClientCommandsTest.run(env, args);
    }

    private static ClientCommandsTest.Run run(String... args) {
        return run(Map.of(), args);
    }

    @Test
    void shouldTakeEveryHostOptionFromTheFileWithFlagsOverridingIt() throws Exception {
        Path tokens = Files.writeString(dir.resolve("tokens"), "* t0ken\n");
        Path file = yaml("""
                # a host for the docs
                id: from-file
                listen:
                  - tcp://127.0.0.1:0
                  - distribus+ws://127.0.0.1:0
                join: [tcp://127.0.0.1:7401]
                network-id: shop
                echo: [echo, echo2]
                status-port: 0
                tls-mutual: false
                browser: 127.0.0.1:0
                allowed-origin: [https://app.example.com]
                browser-token-file: %s
                browser-max-message-size: 65536
                browser-max-rate: 50
                browser-max-subscriptions: 10
                reconnect-timeout: 30s
                """.formatted(tokens));
        ClientCommandsTest.Run r = run("host", "--config", file.toString(), "--id", "from-flag", "--echo", "only",
                "--print-config");
        assertThat(r.code()).as(r.err()).isZero();
        assertThat(r.out()).contains("id: from-flag\n").contains("echo:\n- only\n")
                .contains("listen:\n- tcp://127.0.0.1:0\n- distribus+ws://127.0.0.1:0\n")
                .contains("join:\n- tcp://127.0.0.1:7401\n").contains("network-id: shop\n")
                .contains("status-port: 0\n").contains("browser: 127.0.0.1:0\n")
                .contains("allowed-origin:\n- https://app.example.com\n")
                .contains("browser-max-message-size: 65536\n").contains("browser-max-rate: 50\n")
                .contains("browser-max-subscriptions: 10\n").contains("browser-token-file: " + tokens)
                .contains("reconnect-timeout: 30s\n");
    }

    @Test
    void shouldPrintWhatItWouldRunWithTheSecretsMasked() throws Exception {
        Path file = yaml("backplane: redis://user:hunter2@127.0.0.1:6379\njoin: [\"nats://127.0.0.1:4222?token=s3cr3t\"]\n");
        ClientCommandsTest.Run r = run("host", "--config", file.toString(), "--print-config");
        assertThat(r.code()).as(r.err()).isZero();
        assertThat(r.out()).contains("backplane: redis://user:****@127.0.0.1:6379")
                .contains("nats://127.0.0.1:4222?token=****").doesNotContain("hunter2").doesNotContain("s3cr3t")
                .contains("listen:\n- tcp://127.0.0.1:7400\n");
        assertThat(EffectiveConfig.mask("rediss://only-a-password@h:1")).isEqualTo("rediss://****@h:1");
        assertThat(EffectiveConfig.mask("tcp://127.0.0.1:7400")).isEqualTo("tcp://127.0.0.1:7400");
    }

    @Test
    void shouldRankTheFileAboveTheEnvironment() throws Exception {
        Path file = yaml("network-id: from-file\n");
        ClientCommandsTest.Run r = run(Map.of("MESHBUS_NETWORK_ID", "from-env", "MESHBUS_ID", "env-id"), "host",
                "--config", file.toString(), "--print-config");
        assertThat(r.out()).contains("network-id: from-file\n").contains("id: env-id\n");
    }

    @Test
    void shouldRefuseUnknownKeysNamingTheKeyAndItsLine() throws Exception {
        Path file = yaml("id: h1\n\nlisen: tcp://127.0.0.1:0\n");
        ClientCommandsTest.Run r = run("host", "--config", file.toString(), "--print-config");
        assertThat(r.code()).isEqualTo(ExitCodes.USAGE);
        assertThat(r.err().lines()).hasSize(1);
        assertThat(r.err()).startsWith("meshbus: " + file + ":3: unknown key 'lisen' (valid keys: allowed-origin, ");
    }

    @Test
    void shouldRefuseShapesTheOptionsDoNotTake() throws Exception {
        Map<String, String> refused = Map.of(
                "id: [a, b]\n", ":1: key 'id' takes one value, not a list",
                "echo: {a: 1}\n", ":1: key 'echo' holds a mapping; give a value or a list of values",
                "id: a\nid: b\n", ":2: key 'id' is given twice",
                "echo: [[a]]\n", ":1: key 'echo' holds a list of values, not of a list",
                "- tcp://x:1\n", ":1: expected a mapping of option names to values",
                "id: a\n  b: {\n", ":2: not YAML: ");
        for (Map.Entry<String, String> e : refused.entrySet()) {
            Path file = yaml(e.getKey());
            ClientCommandsTest.Run r = run("host", "--config", file.toString(), "--print-config");
            assertThat(r.code()).as(e.getKey()).isEqualTo(ExitCodes.USAGE);
            assertThat(r.err().lines()).as(r.err()).hasSize(1);
            assertThat(r.err()).as(e.getKey()).startsWith("meshbus: " + file + e.getValue());
        }
        ClientCommandsTest.Run missing = run("host", "--config", dir.resolve("none.yaml").toString());
        assertThat(missing.code()).isEqualTo(ExitCodes.USAGE);
        assertThat(missing.err()).contains("none.yaml is not a file");
    }

    @Test
    void shouldReadAnEmptyFileAsNoOptions() throws Exception {
        YamlConfig c = YamlConfig.read(yaml("# nothing yet\n"), Map.of("id", false));
        assertThat(c.values()).isEmpty();
        assertThat(YamlConfig.read(yaml("id: ~\n"), Map.of("id", false)).get("id")).isNull();
        assertThat(YamlConfig.read(yaml("id: 42\n"), Map.of("id", false)).get("id")).isEqualTo("42");
        assertThatThrownBy(() -> YamlConfig.read(yaml("ids: 42\n"), Map.of("id", false)))
                .hasMessageEndingWith(":1: unknown key 'ids' (valid keys: id)");
    }
}

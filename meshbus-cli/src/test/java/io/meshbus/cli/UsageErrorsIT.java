package io.meshbus.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Every bad flag, scheme or config key, from the shaded jar: a non-zero exit and one line on stderr naming it. */
class UsageErrorsIT {
    private final MeshbusProcesses jar = new MeshbusProcesses();

    @AfterEach
    void stop() {
        jar.close();
    }

    @Test
    void shouldRefuseEachWithOneLineNamingIt(@TempDir Path dir) throws Exception {
        Path unknownKey = Files.writeString(dir.resolve("unknown.yaml"), "id: h1\nlisten: [tcp://127.0.0.1:0]\n"
                + "stauts-port: 8222\n");
        Path badValue = Files.writeString(dir.resolve("value.yaml"), "status-port: lots\n");
        Path badTokens = Files.writeString(dir.resolve("tokens"), "only-one-field\n");
        Path notAFolder = Files.writeString(dir.resolve("file.html"), "<p>");
        Map<List<String>, String> cases = new LinkedHashMap<>();
        cases.put(List.of("host", "--lisen", "tcp://127.0.0.1:0"), "--lisen");
        cases.put(List.of("host", "--listen", "http://127.0.0.1:0"), "unknown scheme 'http'");
        cases.put(List.of("host", "--listen", "distribus+wss://127.0.0.1:0"), "unknown scheme 'distribus+wss'");
        cases.put(List.of("host", "--join", "masterless+udp://127.0.0.1:1"), "unknown scheme 'masterless+udp'");
        cases.put(List.of("host", "--listen", "distro+tcp://127.0.0.1"), "distro+tcp://127.0.0.1 needs a host and a port");
        cases.put(List.of("host", "--listen", "distribus+ws://127.0.0.1:0,distribus+ws://127.0.0.1:0"),
                "one distribus+ws:// address per host");
        cases.put(List.of("host", "--config", unknownKey.toString()), unknownKey + ":3: unknown key 'stauts-port'");
        cases.put(List.of("host", "--config", badValue.toString()), "'lots' is not an int");
        cases.put(List.of("host", "--config", dir.resolve("missing.yaml").toString()), "missing.yaml is not a file");
        cases.put(List.of("host", "--browser", "7480"), "--browser: expected HOST:PORT");
        cases.put(List.of("host", "--browser", "127.0.0.1:99999"), "--browser: expected HOST:PORT with a port");
        cases.put(List.of("host", "--page", dir.toString()), "--page: needs --browser");
        cases.put(List.of("host", "--browser", "127.0.0.1:0", "--page", notAFolder.toString()),
                "--page: " + notAFolder + " is not a folder");
        cases.put(List.of("host", "--browser", "127.0.0.1:0", "--browser-token-file", badTokens.toString()),
                badTokens + ":1: expected 'PEER-ID TOKEN'");
        cases.put(List.of("host", "--browser-max-rate", "lots"), "--browser-max-rate");
        cases.put(List.of("demo", "--browser", "nowhere"), "--browser: expected HOST:PORT");
        cases.put(List.of("reply", "x", "--join", "tcp://127.0.0.1:1"), "--command");
        cases.put(List.of("request", "--to", "echo", "--count", "x"), "--count");
        for (Map.Entry<List<String>, String> c : cases.entrySet()) {
            MeshbusProcesses.Result r = jar.run(c.getKey().toArray(new String[0]));
            String args = String.join(" ", c.getKey());
            assertThat(r.code()).as(args + ": " + r.err()).isNotZero();
            assertThat(r.err().lines()).as(args).hasSize(1);
            assertThat(r.err()).as(args).startsWith("meshbus: ").contains(c.getValue());
            assertThat(r.out()).as(args).isEmpty();
        }
    }
}

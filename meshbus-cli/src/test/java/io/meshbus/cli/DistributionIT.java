package io.meshbus.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The distribution archive as a user gets it: unpacked anywhere, {@code bin/meshbus} runs the jar inside it with a
 * PATH that holds java and nothing else (no mvn, so it cannot have tried to build).
 */
class DistributionIT {
    private static final String VERSION = System.getProperty("meshbus.version", "0.1.0-SNAPSHOT");
    private static final Path ARCHIVE = Path.of(System.getProperty("meshbus.distribution",
            "target/meshbus-" + VERSION + ".tar.gz"));

    @Test
    void shouldRunFromTheUnpackedArchiveWithOnlyAJava(@TempDir Path dir) throws Exception {
        assertThat(ARCHIVE).exists();
        Process tar = new ProcessBuilder("tar", "-xzf", ARCHIVE.toAbsolutePath().toString(), "-C", dir.toString())
                .redirectErrorStream(true).start();
        String tarOut = new String(tar.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(tar.waitFor(60, TimeUnit.SECONDS) && tar.exitValue() == 0).as(tarOut).isTrue();
        Path home = dir.resolve("meshbus-" + VERSION);
        assertThat(home.resolve("lib/meshbus.jar")).isRegularFile();
        assertThat(home.resolve("README.md")).isRegularFile();
        Path launcher = home.resolve("bin/meshbus");
        assertThat(Files.isExecutable(launcher)).isTrue();

        Path onlyJava = Files.createDirectories(dir.resolve("path"));
        Files.createSymbolicLink(onlyJava.resolve("java"), Path.of(MeshbusProcesses.java()));
        for (String tool : new String[] {"bash", "dirname", "env"}) {
            for (String d : new String[] {"/usr/bin", "/bin"}) {
                Path t = Path.of(d, tool);
                if (Files.isExecutable(t) && !Files.exists(onlyJava.resolve(tool))) {
                    Files.createSymbolicLink(onlyJava.resolve(tool), t);
                }
            }
        }
        ProcessBuilder pb = new ProcessBuilder(launcher.toString(), "--version").redirectErrorStream(true);
        pb.environment().put("PATH", onlyJava.toString());
        pb.environment().remove("JAVA_HOME");
        Process p = pb.start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
        assertThat(p.exitValue()).as(out).isZero();
        assertThat(out).startsWith("meshbus " + VERSION + " (commit ").doesNotContain("building");
        try (var links = Files.list(onlyJava)) {
            // The links go, not what they point at (the temp folder's clean-up would warn about each).
            for (Path l : (Iterable<Path>) links::iterator) {
                Files.delete(l);
            }
        }
    }
}

package io.meshbus.netbench;

import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Runs the system's network tools ({@code ip}, {@code tc}, {@code kill}) as child processes, never through a shell,
 * each within a deadline: a tool that hangs must not hang the bench, least of all its teardown.
 */
final class Commands {
    private static final long DEADLINE_SECONDS = 15;

    private Commands() {
    }

    /** Runs {@code cmd}; returns its output, or fails with the command and what it printed. */
    static String run(String... cmd) throws IOException {
        Result r = exec(List.of(cmd));
        if (r.code != 0) {
            throw new IOException(String.join(" ", cmd) + " failed (exit " + r.code + "): " + r.output.strip());
        }
        return r.output;
    }

    /** Runs {@code cmd} and ignores a failure: for teardown, where what is already gone is fine. */
    static boolean attempt(String... cmd) {
        try {
            return exec(List.of(cmd)).code == 0;
        } catch (IOException e) {
            return false;
        }
    }

    /** Whether {@code tool} can be run at all (it is on the PATH and starts). */
    static boolean available(String... versionCommand) {
        try {
            exec(List.of(versionCommand));
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    private static Result exec(List<String> cmd) throws IOException {
        // Output to a file, not a pipe: the deadline holds even for a tool that never closes its output.
        Path out = Files.createTempFile("meshbus-netbench-cmd", ".out");
        try {
            Process p = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(out.toFile())
                    .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null"))).start();
            try {
                if (!p.waitFor(DEADLINE_SECONDS, TimeUnit.SECONDS)) {
                    p.destroyForcibly();
                    throw new IOException(String.join(" ", cmd) + " did not end within " + DEADLINE_SECONDS + " s");
                }
            } catch (InterruptedException e) {
                p.destroyForcibly();
                Thread.currentThread().interrupt();
                throw new IOException("interrupted while running " + String.join(" ", cmd), e);
            }
            return new Result(p.exitValue(), Files.readString(out, StandardCharsets.UTF_8));
        } finally {
            Files.deleteIfExists(out);
        }
    }

    private record Result(int code, String output) {
    }
}

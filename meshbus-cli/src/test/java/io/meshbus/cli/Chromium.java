package io.meshbus.cli;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Headless Chromium from the command line: the page after its scripts ran, and a screenshot. */
final class Chromium {
    private Chromium() {
    }

    static String find() {
        for (String c : new String[] {"/usr/bin/chromium", "/usr/bin/chromium-browser"}) {
            if (Files.isExecutable(Path.of(c))) {
                return c;
            }
        }
        return null;
    }

    private static List<String> base(String chromium, Path profile) {
        return new ArrayList<>(List.of(chromium, "--headless", "--no-sandbox", "--disable-gpu",
                "--disable-background-networking", "--disable-quic", "--no-first-run", "--disable-component-update",
                "--disable-sync", "--user-data-dir=" + profile, "--virtual-time-budget=3000"));
    }

    static String dumpDom(String chromium, String url) throws Exception {
        Path profile = Files.createTempDirectory("chromium");
        List<String> cmd = base(chromium, profile);
        cmd.addAll(List.of("--dump-dom", url));
        Process p = new ProcessBuilder(cmd).redirectError(ProcessBuilder.Redirect.DISCARD).start();
        String dom = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!p.waitFor(60, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new IOException("chromium did not finish");
        }
        return dom;
    }

    static Path screenshot(String chromium, String url, Path png) throws Exception {
        Path profile = Files.createTempDirectory("chromium");
        List<String> cmd = base(chromium, profile);
        cmd.addAll(List.of("--window-size=1100,900", "--screenshot=" + png, url));
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD)
                .start();
        if (!p.waitFor(60, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new IOException("chromium did not finish");
        }
        return png;
    }

    /** The number shown in the dashboard card with that element id. */
    static long figure(String dom, String id) {
        Matcher m = Pattern.compile("id=\"" + id + "\">(\\d+)<").matcher(dom);
        if (!m.find()) {
            throw new AssertionError("no figure '" + id + "' in the page");
        }
        return Long.parseLong(m.group(1));
    }
}

package io.meshbus.cli;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.stream.Stream;

/**
 * A folder of static files for {@code --page DIR}, read once at start into what the browser gateway serves by exact
 * path ({@code BrowserGateway.Builder.resource}, its public way to serve content): {@code index.html} of the folder
 * at {@code /} and of each sub-folder at {@code /sub/}. Request paths are never joined onto the file system, so
 * {@code ..} cannot reach outside; links whose target lies outside the folder are left out with a warning, and a
 * folder larger than {@link #MAX_BYTES} or {@link #MAX_FILES} is refused. Files changed after start are not seen.
 */
final class StaticFolder {
    static final long MAX_BYTES = 64L * 1024 * 1024;
    static final int MAX_FILES = 10_000;
    private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(StaticFolder.class);
    private static final Map<String, String> TYPES = Map.ofEntries(
            Map.entry("html", "text/html; charset=utf-8"), Map.entry("htm", "text/html; charset=utf-8"),
            Map.entry("js", "text/javascript; charset=utf-8"), Map.entry("mjs", "text/javascript; charset=utf-8"),
            Map.entry("css", "text/css; charset=utf-8"), Map.entry("json", "application/json"),
            Map.entry("map", "application/json"), Map.entry("txt", "text/plain; charset=utf-8"),
            Map.entry("svg", "image/svg+xml"), Map.entry("png", "image/png"), Map.entry("jpg", "image/jpeg"),
            Map.entry("jpeg", "image/jpeg"), Map.entry("gif", "image/gif"), Map.entry("webp", "image/webp"),
            Map.entry("ico", "image/x-icon"), Map.entry("wasm", "application/wasm"),
            Map.entry("woff2", "font/woff2"), Map.entry("woff", "font/woff"));

    /** One file to serve. */
    record File(String contentType, byte[] body) {
    }

    private StaticFolder() {
    }

    /** Every file under the folder by the URL path it is served at. */
    static Map<String, File> read(Path folder) throws IOException {
        if (!Files.isDirectory(folder)) {
            throw new IllegalArgumentException("--page: " + folder + " is not a folder");
        }
        Path root = folder.toRealPath();
        Map<String, File> files = new LinkedHashMap<>();
        long total = 0;
        try (Stream<Path> all = Files.walk(root)) {
            for (Path p : (Iterable<Path>) all::iterator) {
                if (Files.isDirectory(p, LinkOption.NOFOLLOW_LINKS)) {
                    continue;
                }
                Path real;
                try {
                    real = p.toRealPath();
                } catch (IOException e) {
                    LOG.warn("--page: {} left out: {}", p, e.toString());
                    continue;
                }
                if (!real.startsWith(root)) {
                    LOG.warn("--page: {} links outside {}: left out", root.relativize(p), root);
                    continue;
                }
                if (!Files.isRegularFile(real)) {
                    continue;
                }
                if (files.size() >= MAX_FILES || (total += Files.size(real)) > MAX_BYTES) {
                    throw new IllegalArgumentException("--page: " + folder + " holds more than " + MAX_FILES
                            + " files or " + MAX_BYTES / (1024 * 1024) + " MiB");
                }
                String path = "/" + root.relativize(p).toString().replace('\\', '/');
                File f = new File(type(path), Files.readAllBytes(real));
                files.put(path, f);
                if (path.endsWith("/index.html")) {
                    files.put(path.substring(0, path.length() - "index.html".length()), f);
                }
            }
        }
        return files;
    }

    static String type(String path) {
        int dot = path.lastIndexOf('.');
        String ext = dot < 0 ? "" : path.substring(dot + 1).toLowerCase(Locale.ROOT);
        return TYPES.getOrDefault(ext, "application/octet-stream");
    }
}

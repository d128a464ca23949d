package io.meshbus.cli;

import io.meshbus.js.Authenticator;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.List;

/**
 * {@code --browser-token-file FILE}: which browser peer ids may connect with which token. One pair per line,
 * {@code PEER-ID TOKEN}, where {@code *} as the id admits any id with that token; blank lines and {@code #} comments
 * are skipped. Read once at start; tokens are compared in constant time.
 *
 * <p>Threads: immutable once read; the gateway calls it from its executor, any number at once.
 */
final class TokenFile implements Authenticator {
    private record Entry(String peerId, byte[] token) {
    }

    private final List<Entry> entries;

    private TokenFile(List<Entry> entries) {
        this.entries = List.copyOf(entries);
    }

    static TokenFile read(Path file) throws IOException {
        List<Entry> entries = new ArrayList<>();
        int n = 0;
        for (String line : Files.readAllLines(file, StandardCharsets.UTF_8)) {
            n++;
            String l = line.strip();
            if (l.isEmpty() || l.startsWith("#")) {
                continue;
            }
            String[] parts = l.split("\\s+");
            if (parts.length != 2) {
                throw new IllegalArgumentException("--browser-token-file: " + file + ":" + n
                        + ": expected 'PEER-ID TOKEN' (or '* TOKEN')");
            }
            entries.add(new Entry(parts[0], parts[1].getBytes(StandardCharsets.UTF_8)));
        }
        if (entries.isEmpty()) {
            throw new IllegalArgumentException("--browser-token-file: " + file + " holds no token");
        }
        return new TokenFile(entries);
    }

    @Override
    public boolean authenticate(Credentials c) {
        if (c.token() == null) {
            return false;
        }
        byte[] given = c.token().getBytes(StandardCharsets.UTF_8);
        boolean ok = false;
        for (Entry e : entries) {
            // Every entry is compared, so the time taken does not tell which one matched.
            boolean idMatches = e.peerId().equals("*") || e.peerId().equals(c.peerId());
            ok |= MessageDigest.isEqual(e.token(), given) & idMatches;
        }
        return ok;
    }
}

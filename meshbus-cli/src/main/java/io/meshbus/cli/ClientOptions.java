package io.meshbus.cli;

import io.meshbus.bus.Host;
import java.time.Duration;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import picocli.CommandLine.Option;

/** How a one-shot command reaches the network: it joins as a short-lived host that does not listen. */
final class ClientOptions {
    @Option(names = "--join", split = ",",
            description = "A member to join (repeat, or comma-separated; env MESHBUS_JOIN).")
    List<String> join;

    @Option(names = "--network-id", description = "Network id to require.")
    String networkId;

    @Option(names = "--timeout", defaultValue = "10s",
            description = "Timeout, e.g. 500ms, 10s, 2m. Default: ${DEFAULT-VALUE}.")
    String timeout;

    @Option(names = "--codec", defaultValue = "json",
            description = "json, msgpack or text. Default: ${DEFAULT-VALUE}.")
    String codec;

    @Option(names = "--id", description = "Peer id this command acts as (default: a random cli-... id).")
    String id;

    @Option(names = "--listen", defaultValue = "tcp://127.0.0.1:0",
            description = "Where this short-lived host listens, so every member can reach it (hosts that do not "
                    + "listen are reachable only from the hosts they dial). Default: ${DEFAULT-VALUE}.")
    String listen;

    @Option(names = "--secret-file", description = "File holding the network secret, if the network has one.")
    String secretFile;

    @Option(names = "--tls-cert", description = "PEM certificate chain of this host (with --tls-key, --tls-ca).")
    String tlsCert;

    @Option(names = "--tls-key", description = "PEM (PKCS#8) private key of this host.")
    String tlsKey;

    @Option(names = "--tls-ca", description = "PEM certificates of the authorities to trust.")
    String tlsCa;

    /** TLS settings from the three PEM options: all of them or none. */
    static io.meshbus.transport.TlsConfig tls(String cert, String key, String ca, boolean mutual) {
        int given = (cert != null ? 1 : 0) + (key != null ? 1 : 0) + (ca != null ? 1 : 0);
        if (given == 0) {
            return null;
        }
        if (given != 3) {
            throw new IllegalArgumentException("--tls-cert, --tls-key and --tls-ca go together");
        }
        return io.meshbus.transport.TlsConfig.fromPem(java.nio.file.Path.of(cert), java.nio.file.Path.of(key),
                java.nio.file.Path.of(ca), mutual);
    }

    /** The secret in a file (surrounding whitespace trimmed), or null for none. */
    static byte[] readSecret(String file) throws java.io.IOException {
        if (file == null) {
            return null;
        }
        byte[] b = new String(java.nio.file.Files.readAllBytes(java.nio.file.Path.of(file)),
                java.nio.charset.StandardCharsets.UTF_8).strip().getBytes(java.nio.charset.StandardCharsets.UTF_8);
        if (b.length < 16) {
            throw new IllegalArgumentException("--secret-file: the secret must be at least 16 bytes, " + file
                    + " holds " + b.length);
        }
        return b;
    }

    Duration timeout() {
        return parseDuration(timeout, "--timeout");
    }

    static Duration parseDuration(String s, String option) {
        try {
            String t = s.trim().toLowerCase(java.util.Locale.ROOT);
            if (t.endsWith("ms")) {
                return Duration.ofMillis(Long.parseLong(t.substring(0, t.length() - 2)));
            }
            if (t.endsWith("s")) {
                return Duration.ofMillis((long) (Double.parseDouble(t.substring(0, t.length() - 1)) * 1000));
            }
            if (t.endsWith("m")) {
                return Duration.ofSeconds(Long.parseLong(t.substring(0, t.length() - 1)) * 60);
            }
            return Duration.ofSeconds(Long.parseLong(t));
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(option + ": '" + s + "' is not a duration (like 500ms, 10s, 2m)");
        }
    }

    String peerId() {
        return id != null ? id : "cli-" + UUID.randomUUID().toString().substring(0, 8);
    }

    /** Starts a host that joins the network; the caller closes it. */
    Host joinNetwork() throws Exception {
        if (join == null || join.isEmpty()) {
            throw new IllegalArgumentException("--join: give a member of the network (or set MESHBUS_JOIN)");
        }
        byte[] secret = readSecret(secretFile);
        io.meshbus.transport.TlsConfig tls = tls(tlsCert, tlsKey, tlsCa, false);
        String where = tls != null && listen.startsWith("tcp://") ? "tls://" + listen.substring(6) : listen;
        Host h = Host.builder().id("cli-host-" + UUID.randomUUID().toString().substring(0, 8)).listen(where)
                .networkId(networkId).requestTimeout(timeout()).node(n -> n.secret(secret).tls(tls)).build();
        h.start().get(10, TimeUnit.SECONDS);
        try {
            h.join(join.toArray(new String[0])).get(timeout().toMillis() + 5000, TimeUnit.MILLISECONDS);
        } catch (Exception e) {
            h.close();
            throw e;
        }
        return h;
    }
}

package io.meshbus.cli;

import io.meshbus.bus.Host;
import java.time.Duration;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import picocli.CommandLine;
import picocli.CommandLine.Option;

/** How a one-shot command reaches the network: it joins as a short-lived host that does not listen. */
final class ClientOptions {
    @Option(names = "--join", split = ",",
            description = "A member to join (repeat, or comma-separated; env MESHBUS_JOIN).")
    List<String> join;

    @Option(names = "--backplane", description = "Reach the network through this broker instead of --join "
            + "(redis://, rediss://, nats://, tls://; env MESHBUS_BACKPLANE).")
    String backplane;

    @Option(names = "--network-id", description = "Network id to require (on a backplane: its namespace).")
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

    @CommandLine.Mixin
    SecurityOptions security = new SecurityOptions();

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
        if (backplane != null) {
            Host h = Host.builder().id("cli-host-" + UUID.randomUUID().toString().substring(0, 8))
                    .networkId(networkId).requestTimeout(timeout()).backplane(Backplanes.of(backplane, networkId))
                    .build();
            h.start().get(timeout().toMillis() + 5000, TimeUnit.MILLISECONDS);
            return h;
        }
        if (join == null || join.isEmpty()) {
            throw new IllegalArgumentException("--join: give a member of the network (or set MESHBUS_JOIN)");
        }
        byte[] secret = security.secret();
        io.meshbus.transport.TlsConfig tls = security.tls(false);
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

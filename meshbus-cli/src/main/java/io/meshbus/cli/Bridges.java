package io.meshbus.cli;

import io.meshbus.bus.Host;
import io.meshbus.compat.Dialect;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * The Node-dialect addresses of {@code --listen} and {@code --join}, split from the native ones and checked before
 * anything starts, then one running {@link Bridge} per dialect. A dialect that is only joined gets a bridge on
 * 127.0.0.1 port 0 (a distribus host dials the joiner back at its announced url).
 *
 * <p>Threads: built and started by the command's thread; closed by the shutdown hook, which starts after that.
 */
final class Bridges {
    private final Map<Dialect, String> listen = new EnumMap<>(Dialect.class);
    private final List<String> join = new ArrayList<>();
    private final List<String> nativeListen = new ArrayList<>();
    private final List<String> nativeJoin = new ArrayList<>();
    private final Map<Dialect, Bridge> running = new EnumMap<>(Dialect.class);

    /** Classifies every address; throws naming the first bad one. */
    Bridges(List<String> listenAddresses, List<String> joinAddresses) {
        for (String a : listenAddresses == null ? List.<String>of() : listenAddresses) {
            Dialect d = Schemes.of("--listen", a);
            if (d == Dialect.NATIVE) {
                nativeListen.add(a.strip());
            } else if (listen.putIfAbsent(d, a.strip()) != null) {
                throw new IllegalArgumentException("--listen: one " + d.scheme() + ":// address per host, not "
                        + listen.get(d) + " and " + a);
            }
        }
        for (String a : joinAddresses == null ? List.<String>of() : joinAddresses) {
            if (Schemes.of("--join", a) == Dialect.NATIVE) {
                nativeJoin.add(a.strip());
            } else {
                join.add(a.strip());
            }
        }
    }

    List<String> nativeListen() {
        return nativeListen;
    }

    List<String> nativeJoin() {
        return nativeJoin;
    }

    /** Starts the bridges the addresses ask for; each line says where one listens. */
    List<String> start(Host host) throws Exception {
        Map<Dialect, String> wanted = new EnumMap<>(listen);
        for (String a : join) {
            Dialect d = Dialect.of(java.net.URI.create(a));
            wanted.putIfAbsent(d, d.scheme() + "://127.0.0.1:0");
        }
        List<String> lines = new ArrayList<>();
        for (Map.Entry<Dialect, String> e : wanted.entrySet()) {
            Bridge b = start(host, e.getKey(), e.getValue()).get(30, TimeUnit.SECONDS);
            running.put(e.getKey(), b);
            lines.add(b.describe());
        }
        return lines;
    }

    private static CompletableFuture<? extends Bridge> start(Host host, Dialect d, String address) {
        return switch (d) {
            case DISTRIBUS -> DistribusBridge.start(host, address);
            case MASTERLESS -> MasterlessBridge.start(host, address);
            case DISTRO_TCP, DISTRO_UDP4, DISTRO_UDP6 -> DistroBridge.start(host, address);
            case NATIVE -> throw new IllegalStateException("native addresses are the host's own");
        };
    }

    /** Joins every dialect address through its bridge; one line per join. */
    List<String> join() throws Exception {
        List<String> lines = new ArrayList<>();
        for (String a : join) {
            running.get(Dialect.of(java.net.URI.create(a))).join(a).get(60, TimeUnit.SECONDS);
            lines.add("joined " + a);
        }
        return lines;
    }

    /** Closes every bridge, at most 10 s in all; a bridge that fails to close does not stop the others. */
    void close() {
        CompletableFuture<?>[] all = running.values().stream()
                .map(b -> b.close().exceptionally(e -> null)).toArray(CompletableFuture[]::new);
        CompletableFuture.allOf(all).orTimeout(10, TimeUnit.SECONDS).exceptionally(e -> null).join();
        running.clear();
    }
}

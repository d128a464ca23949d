package io.meshbus.bench.hostile;

import io.meshbus.bench.Options;
import io.meshbus.bench.Result;
import io.meshbus.bench.Scenario;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * Hostile clients against {@code meshbus host} as users run it ({@link HostProcess}: a 256 MB heap, tcp and ws
 * listeners, an echo peer, the status page), one attack after another, each bounded in count and time, on loopback:
 * silent and half-sent WebSocket upgrades, slow status clients, most of a 4 MiB frame before any handshake, refused
 * HELLOs with DATA behind them, clients that flood the echo peer without reading and then vanish, and a connect/close
 * storm. Per attack: the connections the host held at the peak, its heap, threads and file descriptors before and
 * after, how long it took to give back what it held, what it logged, and the latency and failures of a normal
 * client's echo requests and /health probes made throughout, next to the same figures with no attack (the baseline,
 * first in the run). {@code --count} sizes the attacks ({@link Sizes}), {@code --seconds} the baseline and each
 * flood, {@code --contenders} picks attacks by name.
 */
public final class HostileScenario implements Scenario {
    /** The default run: thousands of connections per attack, five floods; about two minutes on two vCPUs. */
    private static final Options DEFAULTS = new Options(Duration.ofSeconds(5), Duration.ofSeconds(2), 100, 5_000,
            false, "all", Options.DEFAULTS.rate(), Options.DEFAULTS.faultEvery(), 1, List.of());
    /** A run that shows every figure works: a hundred connections where the default opens thousands. */
    private static final Options QUICK = new Options(Duration.ofSeconds(1), Duration.ofMillis(500), 100, 100,
            false, "all", Options.DEFAULTS.rate(), Options.DEFAULTS.faultEvery(), 1, List.of());

    @Override
    public String name() {
        return HostileRun.SCENARIO;
    }

    @Override
    public String description() {
        return "meshbus host (256 MB heap) under hostile clients, one attack at a time: connections held, heap, "
                + "threads, fds, a normal client's echo latency and failures; baseline: the same with no attack";
    }

    @Override
    public Options defaults() {
        return DEFAULTS;
    }

    @Override
    public Options quickDefaults() {
        return QUICK;
    }

    @Override
    public List<Result> run(Options o) throws Exception {
        try (HostileRun run = new HostileRun(o.size(), o.warmup(), attacks(Sizes.of(o), o.contenders()))) {
            return run.run();
        }
    }

    /** The baseline, then every attack or those named, in the order they run. */
    static List<Attack> attacks(Sizes s, List<String> only) {
        List<Attack> all = List.of(new SilentUpgrades(s.upgrades()), new SlowStatusClients(s.slowStatus()),
                new OversizedFrames(s.bigFrames()), new SmuggledData(s.refusedHellos()),
                new Flood(s.flooders(), s.phase()), new ConnectStorm(s.storm()));
        for (String name : only) {
            if (all.stream().noneMatch(a -> a.name().equals(name))) {
                throw new IllegalArgumentException("--contenders: no attack " + name + "; the attacks: "
                        + all.stream().map(Attack::name).toList());
            }
        }
        List<Attack> run = new ArrayList<>();
        run.add(new Quiet(s.phase()));
        all.stream().filter(a -> only.isEmpty() || only.contains(a.name())).forEach(run::add);
        return run;
    }

    @Override
    public String table(List<Result> results) {
        return HostileTable.render(results);
    }
}

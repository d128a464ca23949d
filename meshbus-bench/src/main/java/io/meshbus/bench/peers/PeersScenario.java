package io.meshbus.bench.peers;

import io.meshbus.bench.BusContender;
import io.meshbus.bench.Contender;
import io.meshbus.bench.Contender.Echo;
import io.meshbus.bench.Contender.Stream;
import io.meshbus.bench.LatencyLoop;
import io.meshbus.bench.LatencyLoop.Requester;
import io.meshbus.bench.NodeContender;
import io.meshbus.bench.Options;
import io.meshbus.bench.PubSubContender;
import io.meshbus.bench.RateLoop;
import io.meshbus.bench.RawSocketContender;
import io.meshbus.bench.Resources;
import io.meshbus.bench.Result;
import io.meshbus.bench.RouteContenders;
import io.meshbus.bench.Scenario;
import io.meshbus.bench.StreamLoad;
import io.meshbus.bench.TwoJvmContender;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.function.DoubleBinaryOperator;
import org.HdrHistogram.Histogram;

/**
 * Meshbus against the libraries a user would choose between, in one run, interleaved ({@link LatencyLoop} and
 * {@link RateLoop} take them in turns): round trips one at a time (raw TCP ping-pong, JeroMQ REQ/REP, the Vert.x
 * clustered event bus's request, NATS request/reply through the local server, and Meshbus's node round trip, bus
 * request and route request), then one-way throughput (the raw stream, JeroMQ PUSH/PULL, Vert.x send, NATS pub/sub,
 * the Meshbus node, bus send and bus publish). Every contender's receiving end runs in a child JVM of its own, all
 * of one phase at once, so that the turns can alternate; what a contender does not use while another runs is idle.
 * Each figure comes with its ratio to raw and to the best of the three other libraries ({@link PeerTable}).
 */
public final class PeersScenario implements Scenario {
    /** A run of about two minutes on this kind of machine: see BENCHMARKS.md. */
    private static final Options DEFAULTS = new Options(Duration.ofSeconds(3), Duration.ofSeconds(1), 100, 50_000,
            false, "all", 2_000, Duration.ofSeconds(3), 3, List.of());

    /** One row of a table: what it is called there, and the contender. */
    record Row(String label, Contender contender) {
        /** Whether it is one of the other libraries, which the ratio to the best compares against. */
        boolean peer() {
            return contender instanceof PeerContender;
        }
    }

    static final List<Row> ROUND_TRIPS = rows(List.of(RawSocketContender.RAW, JeromqContender.JEROMQ,
            VertxContender.VERTX, NatsContender.NATS, NodeContender.NODE, BusContender.BUS, RouteContenders.TCP,
            NodeContender.NODE_FAST, BusContender.BUS_FAST),
            "raw TCP ping-pong", "JeroMQ REQ/REP", "Vert.x event bus request", "NATS request/reply",
            "Meshbus node round trip", "Meshbus bus request", "Meshbus route request",
            "Meshbus node round trip, I/O thread", "Meshbus bus request, I/O thread");

    static final List<Row> STREAMS = rows(List.of(RawSocketContender.RAW, JeromqContender.JEROMQ,
            VertxContender.VERTX, NatsContender.NATS, NodeContender.NODE, BusContender.BUS, PubSubContender.PUBLISH),
            "raw TCP stream", "JeroMQ PUSH/PULL", "Vert.x event bus send", "NATS publish/subscribe",
            "Meshbus node send", "Meshbus bus send", "Meshbus bus publish");

    /** The child-side contenders of this package, for the child JVM's catalogue. */
    public static final List<TwoJvmContender> CHILD_CONTENDERS = List.of(JeromqContender.JEROMQ,
            VertxContender.VERTX, NatsContender.NATS);

    static final String NAME = "peers";
    static final String[] PERCENTILES = {"p50", "p99", "p999"};
    private static final double[] AT = {50.0, 99.0, 99.9};

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public String description() {
        return "round trips and one-way throughput of raw TCP, JeroMQ, Vert.x (clustered), NATS and Meshbus, "
                + "interleaved in one run; ratios to raw and to the best peer";
    }

    @Override
    public Options defaults() {
        return DEFAULTS;
    }

    @Override
    public List<Result> run(Options o) throws Exception {
        List<Result> results = new ArrayList<>();
        List<String> skipped = new ArrayList<>();
        roundTrips(chosen(ROUND_TRIPS, o), o, skipped, results);
        streams(chosen(STREAMS, o), o, skipped, results);
        if (!skipped.isEmpty() && !results.isEmpty()) {
            Result first = results.get(0);
            List<String> w = new ArrayList<>(first.warnings());
            w.addAll(skipped);
            results.set(0, new Result(NAME, first.figure(), first.value(), first.unit(), first.baseline(), w, null,
                    first.contender(), first.best()));
        }
        return results;
    }

    @Override
    public String table(List<Result> results) {
        return PeerTable.render(results);
    }

    /** The rows {@code --contenders} names, raw always: it is every ratio's baseline. */
    private static List<Row> chosen(List<Row> rows, Options o) {
        return rows.stream().filter(r -> r.contender() == RawSocketContender.RAW || o.contenders().isEmpty()
                || o.contenders().contains(r.contender().name())).toList();
    }

    private static void roundTrips(List<Row> rows, Options o, List<String> skipped, List<Result> out)
            throws Exception {
        try (Resources r = new Resources()) {
            List<Opened<Echo>> ran = open(rows, r, skipped, c -> c.openEcho(o.size()));
            List<Requester> requesters = new ArrayList<>();
            for (Opened<Echo> e : ran) {
                requesters.add(new Requester(e.row().contender().name(), r.add(e.ends().pinger())));
            }
            progress("round trips: %,d per contender in %d rounds", o.count(), o.rounds());
            List<Histogram> h = LatencyLoop.measure(requesters, o);
            for (int p = 0; p < PERCENTILES.length; p++) {
                double[] v = new double[ran.size()];
                for (int i = 0; i < v.length; i++) {
                    v[i] = h.get(i).getValueAtPercentile(AT[p]) / 1000.0;
                }
                double best = best(ran, v, Math::min);
                for (int i = 0; i < v.length; i++) {
                    out.add(new Result(NAME, "rtt-" + PERCENTILES[p], v[i], "us", v[0], List.of(), null,
                            ran.get(i).row().contender().name(), best));
                }
            }
        }
    }

    private static void streams(List<Row> rows, Options o, List<String> skipped, List<Result> out)
            throws Exception {
        try (Resources r = new Resources()) {
            List<Opened<Stream>> ran = open(rows, r, skipped, c -> c.openStream(o.size()));
            List<StreamLoad> loads = ran.stream()
                    .map(s -> new StreamLoad(s.row().contender().name(), s.ends(), o.size())).toList();
            progress("one way: %.1f s per contender in %d rounds", o.measure().toMillis() / 1e3, o.rounds());
            List<RateLoop.Rate> rates = RateLoop.measure(loads, o);
            double[] v = rates.stream().mapToDouble(RateLoop.Rate::perSecond).toArray();
            double best = best(ran, v, Math::max);
            for (int i = 0; i < v.length; i++) {
                out.add(new Result(NAME, "throughput", v[i], "msgs/s", v[0], rates.get(i).warnings(), null,
                        ran.get(i).row().contender().name(), best));
            }
        }
    }

    /** A row and what was set up for it. */
    private record Opened<T>(Row row, T ends) {
    }

    /** Sets up one contender's ends. */
    @FunctionalInterface
    private interface Opener<T> {
        T open(Contender c) throws Exception;
    }

    /**
     * Sets up every row's ends, in order, into {@code r}; a row that cannot be set up is left out with a warning
     * (a library's server or cluster may be missing), except raw, without which no ratio means anything.
     */
    private static <T extends AutoCloseable> List<Opened<T>> open(List<Row> rows, Resources r, List<String> skipped,
                                                                  Opener<T> opener) throws Exception {
        List<Opened<T>> opened = new ArrayList<>();
        for (Row row : rows) {
            try {
                progress("setting up %s", row.label());
                opened.add(new Opened<>(row, r.add(opener.open(row.contender()))));
            } catch (Exception e) {
                if (row.contender() == RawSocketContender.RAW) {
                    throw e;
                }
                skipped.add(row.label() + ": left out, it could not be set up: " + e);
                progress("%s left out: %s", row.label(), e);
            }
        }
        return opened;
    }

    /** The best of the other libraries' figures ({@code better} picks), NaN when none of them ran. */
    private static double best(List<? extends Opened<?>> ran, double[] v, DoubleBinaryOperator better) {
        double best = Double.NaN;
        for (int i = 0; i < v.length; i++) {
            if (ran.get(i).row().peer()) {
                best = Double.isNaN(best) ? v[i] : better.applyAsDouble(best, v[i]);
            }
        }
        return best;
    }

    private static List<Row> rows(List<Contender> contenders, String... labels) {
        List<Row> rows = new ArrayList<>();
        for (int i = 0; i < labels.length; i++) {
            rows.add(new Row(labels[i], contenders.get(i)));
        }
        return List.copyOf(rows);
    }

    private static void progress(String format, Object... args) {
        System.err.println("peers: " + String.format(format, args));
    }
}

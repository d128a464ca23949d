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

    /** One row of a table: what it is called there, the contender, and whether it is another library. */
    record Row(String label, Contender contender, boolean peer) {
    }

    static final List<Row> ROUND_TRIPS = List.of(
            new Row("raw TCP ping-pong", RawSocketContender.RAW, false),
            new Row("JeroMQ REQ/REP", JeromqContender.JEROMQ, true),
            new Row("Vert.x event bus request", VertxContender.VERTX, true),
            new Row("NATS request/reply", NatsContender.NATS, true),
            new Row("Meshbus node round trip", NodeContender.NODE, false),
            new Row("Meshbus bus request", BusContender.BUS, false),
            new Row("Meshbus route request", RouteContenders.TCP, false));

    static final List<Row> STREAMS = List.of(
            new Row("raw TCP stream", RawSocketContender.RAW, false),
            new Row("JeroMQ PUSH/PULL", JeromqContender.JEROMQ, true),
            new Row("Vert.x event bus send", VertxContender.VERTX, true),
            new Row("NATS publish/subscribe", NatsContender.NATS, true),
            new Row("Meshbus node send", NodeContender.NODE, false),
            new Row("Meshbus bus send", BusContender.BUS, false),
            new Row("Meshbus bus publish", PubSubContender.PUBLISH, false));

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
            List<Row> ran = new ArrayList<>();
            List<Requester> requesters = new ArrayList<>();
            for (Row row : rows) {
                try {
                    progress("setting up %s", row.label());
                    Echo echo = r.add(row.contender().openEcho(o.size()));
                    requesters.add(new Requester(row.contender().name(), r.add(echo.pinger())));
                    ran.add(row);
                } catch (Exception e) {
                    if (row.contender() == RawSocketContender.RAW) {
                        throw e;
                    }
                    skipped.add(row.label() + ": left out, it could not be set up: " + e);
                    progress("%s left out: %s", row.label(), e);
                }
            }
            progress("round trips: %,d per contender in %d rounds", o.count(), o.rounds());
            List<Histogram> h = LatencyLoop.measure(requesters, o);
            for (int p = 0; p < PERCENTILES.length; p++) {
                double raw = micros(h.get(0), AT[p]);
                double best = Double.NaN;
                for (int i = 0; i < ran.size(); i++) {
                    if (ran.get(i).peer()) {
                        best = Double.isNaN(best) ? micros(h.get(i), AT[p]) : Math.min(best, micros(h.get(i), AT[p]));
                    }
                }
                for (int i = 0; i < ran.size(); i++) {
                    out.add(new Result(NAME, "rtt-" + PERCENTILES[p], micros(h.get(i), AT[p]), "us", raw, List.of(),
                            null, ran.get(i).contender().name(), best));
                }
            }
        }
    }

    private static void streams(List<Row> rows, Options o, List<String> skipped, List<Result> out)
            throws Exception {
        try (Resources r = new Resources()) {
            List<Row> ran = new ArrayList<>();
            List<StreamLoad> loads = new ArrayList<>();
            for (Row row : rows) {
                try {
                    progress("setting up %s", row.label());
                    Stream s = r.add(row.contender().openStream(o.size()));
                    loads.add(new StreamLoad(row.contender().name(), s, o.size()));
                    ran.add(row);
                } catch (Exception e) {
                    if (row.contender() == RawSocketContender.RAW) {
                        throw e;
                    }
                    skipped.add(row.label() + ": left out, it could not be set up: " + e);
                    progress("%s left out: %s", row.label(), e);
                }
            }
            progress("one way: %.1f s per contender in %d rounds", o.measure().toMillis() / 1e3, o.rounds());
            List<RateLoop.Rate> rates = RateLoop.measure(loads, o);
            double raw = rates.get(0).perSecond();
            double best = Double.NaN;
            for (int i = 0; i < ran.size(); i++) {
                if (ran.get(i).peer()) {
                    best = Double.isNaN(best) ? rates.get(i).perSecond() : Math.max(best, rates.get(i).perSecond());
                }
            }
            for (int i = 0; i < ran.size(); i++) {
                out.add(new Result(NAME, "throughput", rates.get(i).perSecond(), "msgs/s", raw,
                        rates.get(i).warnings(), null, ran.get(i).contender().name(), best));
            }
        }
    }

    private static double micros(Histogram h, double percentile) {
        return h.getValueAtPercentile(percentile) / 1000.0;
    }

    private static void progress(String format, Object... args) {
        System.err.println("peers: " + String.format(format, args));
    }
}

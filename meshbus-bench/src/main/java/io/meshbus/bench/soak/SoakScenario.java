package io.meshbus.bench.soak;

import io.meshbus.bench.Options;
import io.meshbus.bench.Result;
import io.meshbus.bench.Scenario;
import java.time.Duration;
import java.util.List;

/**
 * Every delivery mode under faults, for as long as asked, in this JVM: two hosts on 127.0.0.1, the dialer reaching
 * the other only through a {@code ChaosProxy} (it does not listen, so the first link and every re-dial cross the
 * proxy), a peer on each, and traffic both ways in four modes at a bounded rate: fire and forget, confirmed, at
 * least once, and publish/subscribe. Every {@code --fault-every} seconds the proxy breaks the link in turn
 * ({@link FaultSchedule}). At the end the sender stops, the faults heal, outstanding futures and messages in flight
 * get a bounded drain, and each mode is reported as sent, delivered, lost, duplicated, reordered, failed (by type)
 * and its delivery latency; then the faults injected, the losses the hosts counted, and the heap, so a leak shows.
 * There is no baseline (printed as null).
 *
 * <p>The parts: {@link SoakRun} sets up, drains and reports; {@link SoakSender} paces the flows; {@link Flow} is one
 * sender, receiver and mode; {@link SequenceTracker} classifies arrivals. What is remembered per flow is bounded (a
 * ring of {@link #TRACKED} bits, a histogram, at most {@link #MAX_UNVERIFIED} confirmed numbers, {@link #WINDOW}
 * futures), so the process's memory does not grow with the length of the run.
 */
public final class SoakScenario implements Scenario {
    /** Confirmed and at-least-once sends per call, and the hosts' request timeout: short, so faults fail them. */
    static final Duration SEND_TIMEOUT = Duration.ofSeconds(3);
    /** Unfinished confirmed or at-least-once sends per flow, at most; {@code -Dmeshbus.bench.soak.window=N}. */
    static final int WINDOW = Integer.getInteger("meshbus.bench.soak.window", 8_192);
    /** Sequence numbers a flow's receiver remembers, behind the highest: far more than a fault keeps in flight. */
    static final int TRACKED = 1 << 20;
    /** Confirmed messages not (yet) seen at their receiver that are remembered one by one; past it, counted lost. */
    static final int MAX_UNVERIFIED = 100_000;
    /** Short, as in the core's ChaosTest: a half-open link is noticed within seconds, not minutes. */
    static final Duration IDLE = Duration.ofSeconds(2);

    /** A delivery mode, as it is named in the figures. */
    enum Mode {
        FIRE_AND_FORGET("fire-and-forget"), CONFIRMED("confirmed"), AT_LEAST_ONCE("at-least-once"),
        PUBLISH("publish");

        final String label;

        Mode(String label) {
            this.label = label;
        }

        boolean hasFuture() {
            return this == CONFIRMED || this == AT_LEAST_ONCE;
        }
    }

    @Override
    public String name() {
        return "soak";
    }

    @Override
    public String description() {
        return "every delivery mode both ways between two hosts whose link a chaos proxy breaks every few seconds: "
                + "losses, duplicates, order, latency, heap; no baseline";
    }

    @Override
    public List<Result> run(Options o) throws Exception {
        try (SoakRun run = new SoakRun(o)) {
            return run.run();
        }
    }
}

package io.meshbus.bench.soak;

import io.meshbus.bench.Waits;
import io.meshbus.chaos.ChaosProxy;
import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Injects one fault every interval, in turn, each healed before the next interval starts: after a fault that breaks
 * the link it waits until the dialer noticed (at most {@link #BREAK_NOTICED}) and the link is back (at most
 * {@link #LINK_BACK}); each miss is a warning.
 *
 * <p>Threads: {@link #run} on its own thread; {@link #stop()} from any (it also ends a stall or delay early, so the
 * drain does not wait for it); the counts are read after that thread ended.
 */
final class FaultSchedule implements Runnable {
    /** A fault of the proxy, in the order they take turns, as named in the figures. */
    enum Fault {
        CUT("cut"), RESET("reset"), STALL("stall"), DELAY("delay"), HALF_OPEN("half-open");

        final String label;

        Fault(String label) {
            this.label = label;
        }

        boolean breaksLink() {
            return this == CUT || this == RESET || this == HALF_OPEN;
        }
    }

    /** What the schedule may see of the two hosts. */
    interface Link {
        /** Links the dialer saw go down so far. */
        long disconnects();

        /** Both nodes connected and both hosts members of each other. */
        boolean linked();

        /** One line of progress on stderr. */
        void progress(String format, Object... args);
    }

    /** How long a broken link may go unnoticed: the idle timeout, its check and a loaded machine together. */
    static final Duration BREAK_NOTICED = SoakScenario.IDLE.multipliedBy(3);
    static final Duration LINK_BACK = Duration.ofSeconds(20);

    private static final Duration STALL = Duration.ofSeconds(1);
    private static final Duration DELAY = Duration.ofSeconds(1);
    private static final Duration DELAY_PER_CHUNK = Duration.ofMillis(50);
    private static final int MAX_WARNINGS = 20;

    private final ChaosProxy proxy;
    private final Duration every;
    private final Link link;
    private final long t0 = System.nanoTime();
    private final CountDownLatch stop = new CountDownLatch(1);
    private final Map<Fault, AtomicLong> injected = new EnumMap<>(Fault.class);
    /** The first {@link #MAX_WARNINGS} only: a run of days with a bad link must not grow a list. */
    private final Queue<String> warnings = new ConcurrentLinkedQueue<>();
    private final AtomicLong moreWarnings = new AtomicLong();

    FaultSchedule(ChaosProxy proxy, Duration every, Link link) {
        this.proxy = proxy;
        this.every = every;
        this.link = link;
        for (Fault f : Fault.values()) {
            injected.put(f, new AtomicLong());
        }
    }

    @Override
    public void run() {
        try {
            for (int i = 0; !stop.await(every.toNanos(), TimeUnit.NANOSECONDS); i++) {
                inject(Fault.values()[i % Fault.values().length]);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    void stop() {
        stop.countDown();
    }

    long injected(Fault f) {
        return injected.get(f).get();
    }

    /** The warnings so far, and how many more were left out. */
    List<String> warnings() {
        List<String> w = new ArrayList<>(warnings);
        if (moreWarnings.get() > 0) {
            w.add(String.format("and %,d more such warnings", moreWarnings.get()));
        }
        return w;
    }

    private void inject(Fault fault) throws InterruptedException {
        long disconnects = link.disconnects();
        long at = System.nanoTime();
        injected.get(fault).incrementAndGet();
        switch (fault) {
            case CUT -> proxy.cut();
            case RESET -> proxy.reset();
            case STALL -> {
                proxy.stall();
                stop.await(STALL.toNanos(), TimeUnit.NANOSECONDS);
                proxy.resume();
            }
            case DELAY -> {
                proxy.delay(DELAY_PER_CHUNK);
                stop.await(DELAY.toNanos(), TimeUnit.NANOSECONDS);
                proxy.delay(Duration.ZERO);
            }
            case HALF_OPEN -> proxy.halfOpen();
            default -> throw new IllegalStateException("unknown fault " + fault);
        }
        // The link still looks up until the dialer notices the break: only then can it come back.
        if (fault.breaksLink() && !Waits.waitFor(() -> link.disconnects() > disconnects, BREAK_NOTICED)) {
            warn(String.format("a %s at %.1f s was not noticed within %d s", fault.label, (at - t0) / 1e9,
                    BREAK_NOTICED.toSeconds()));
            // Not left broken for good: every later fault would hit a link nobody uses.
            proxy.cut();
        }
        boolean back = Waits.waitFor(link::linked, LINK_BACK);
        if (!back) {
            warn(String.format("the link was not back %d s after a %s at %.1f s", LINK_BACK.toSeconds(),
                    fault.label, (at - t0) / 1e9));
        }
        link.progress("%s; link %s after %.2f s", fault.label, back ? "up" : "still down",
                (System.nanoTime() - at) / 1e9);
    }

    private void warn(String w) {
        if (warnings.size() < MAX_WARNINGS) {
            warnings.add(w);
        } else {
            moreWarnings.incrementAndGet();
        }
    }
}

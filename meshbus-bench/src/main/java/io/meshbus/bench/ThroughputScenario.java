package io.meshbus.bench;

import java.io.IOException;
import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.locks.LockSupport;

/**
 * One-way messages, flat out, from the harness to a sink in the child JVM. The rate is what the sink counted as
 * delivered over a window timed by its own clock, after a warm-up (for a sender with confirmations: what the sender
 * saw confirmed over the same window, timed by the harness); then the harness stops, and the sink waits for every
 * message the sender had handed over, so a loss or a duplicate is reported next to the rate instead of hiding in it.
 * For a lossy contender (datagrams) the sink waits only until its count stops growing, and the loss is reported as
 * drops.
 */
final class ThroughputScenario implements Scenario {
    private static final Duration STARTUP = Duration.ofSeconds(30);
    /** Time allowed on top of an expected duration for a reply to arrive. */
    private static final Duration REPLY_SLACK = Duration.ofSeconds(30);
    private static final Duration SENDER_STOP = Duration.ofSeconds(10);
    /** How long the sink may take to receive what was in flight when the sender stopped. */
    private static final Duration DRAIN = Duration.ofSeconds(10);
    /** A lossy contender's drain ends once nothing arrived for this long: what is missing then was dropped. */
    private static final Duration QUIET = Duration.ofSeconds(1);

    private final String name;
    private final String description;
    private final Contender subject;
    private final Contender baseline;

    ThroughputScenario(String name, String description, Contender subject, Contender baseline) {
        this.name = name;
        this.description = description;
        this.subject = subject;
        this.baseline = baseline;
    }

    @Override
    public String name() {
        return name;
    }

    @Override
    public String description() {
        return description;
    }

    @Override
    public List<Result> run(Options o) throws Exception {
        Run base = measure(baseline, o);
        Run subj = measure(subject, o);
        List<String> warnings = new ArrayList<>(base.warnings(o.size()));
        warnings.addAll(subj.warnings(o.size()));
        return List.of(new Result(name, "throughput", subj.rate(), "msgs/s", base.rate(), warnings));
    }

    private Run measure(Contender c, Options o) throws Exception {
        Duration lifetime = o.warmup().plus(o.measure()).plus(DRAIN).plus(STARTUP).plus(REPLY_SLACK.multipliedBy(3));
        try (ChildProcess child = ChildProcess.start(c.name(), "sink", o.size(), lifetime)) {
            URI address = URI.create(child.await("READY", STARTUP)[0]);
            try (Contender.StreamSender sender = c.streamTo(address, o.size())) {
                SendLoop loop = new SendLoop(sender);
                Thread thread = new Thread(loop, c.name() + "-sender");
                thread.setDaemon(true);
                thread.start();
                String[] window;
                long[] confirmedWindow = null;
                try {
                    child.send("MEASURE " + o.warmup().toMillis() + " " + o.measure().toMillis());
                    if (sender.confirmed() >= 0) {
                        confirmedWindow = countConfirmations(sender, o);
                    }
                    window = child.await("WINDOW", o.warmup().plus(o.measure()).plus(REPLY_SLACK));
                } finally {
                    loop.stop = true;
                    thread.join(SENDER_STOP.toMillis());
                }
                if (thread.isAlive()) {
                    throw new TimeoutException(c.name() + ": the sender did not stop within "
                            + SENDER_STOP.toSeconds() + " s (blocked on a sink that no longer reads?)");
                }
                if (loop.failure != null) {
                    throw new IOException(c.name() + ": the sender failed: " + loop.failure, loop.failure);
                }
                sender.flush();
                long expected = sender.expectedDeliveries(loop.accepted);
                child.send("DRAIN " + expected + " " + DRAIN.toMillis() + (c.lossy() ? " " + QUIET.toMillis() : ""));
                String[] total = child.await("TOTAL", DRAIN.plus(REPLY_SLACK));
                long windowCount = Long.parseLong(window[0]);
                long windowNanos = Long.parseLong(window[1]);
                System.err.printf("%s: %,d messages accepted, %,d sends refused and retried; the sink counted "
                        + "%,.0f msgs/s%n", c.name(), loop.accepted, loop.refused, windowCount * 1e9 / windowNanos);
                if (confirmedWindow != null) {
                    windowCount = confirmedWindow[0];
                    windowNanos = confirmedWindow[1];
                }
                return new Run(c.name(), c.lossy(), windowCount, windowNanos, expected, Long.parseLong(total[0]),
                        Long.parseLong(total[1]), sender.warnings());
            }
        }
    }

    /**
     * Counts confirmations over the window the sink also measures (the same warm-up and length, started at the same
     * command), on the harness's clock: the two windows are a command's latency apart, which a rate over seconds does
     * not notice. Returns {count, nanos}.
     */
    private static long[] countConfirmations(Contender.StreamSender sender, Options o) throws InterruptedException {
        Thread.sleep(o.warmup().toMillis());
        long t0 = System.nanoTime();
        long c0 = sender.confirmed();
        Thread.sleep(o.measure().toMillis());
        long c1 = sender.confirmed();
        long t1 = System.nanoTime();
        return new long[] {c1 - c0, t1 - t0};
    }

    /**
     * What one contender did.
     *
     * @param windowCount messages the sink counted (or the sender saw confirmed) inside the measuring window
     * @param lossy       whether messages may be dropped on the way: what is missing is reported as dropped
     * @param windowNanos the window's length by the sink's clock
     * @param accepted    deliveries expected for the messages the sender handed over, over the whole run
     * @param delivered   messages the sink counted, over the whole run, after the drain
     * @param malformed   messages the sink received with the wrong size
     * @param notes       the sender's own warnings
     */
    private record Run(String contender, boolean lossy, long windowCount, long windowNanos, long accepted,
                       long delivered, long malformed, List<String> notes) {
        double rate() {
            return windowCount * 1e9 / windowNanos;
        }

        List<String> warnings(int size) {
            List<String> w = new ArrayList<>();
            if (windowCount == 0) {
                w.add(contender + ": no message was delivered during the measuring window");
            }
            if (delivered < accepted && lossy) {
                w.add(String.format("%s: %,d of %,d messages sent were dropped on the way (%.1f%%)", contender,
                        accepted - delivered, accepted, 100.0 * (accepted - delivered) / accepted));
            } else if (delivered < accepted) {
                w.add(String.format("%s: %,d of %,d messages accepted by send were not delivered within %d s after "
                        + "the sender stopped", contender, accepted - delivered, accepted, DRAIN.toSeconds()));
            } else if (delivered > accepted) {
                w.add(String.format("%s: %,d messages delivered but only %,d sent: %,d duplicates", contender,
                        delivered, accepted, delivered - accepted));
            }
            if (malformed > 0) {
                w.add(String.format("%s: %,d messages arrived with a payload other than %d bytes", contender,
                        malformed, size));
            }
            w.addAll(notes);
            return w;
        }
    }

    /** Sends until told to stop, backing off while the transport pushes back. */
    private static final class SendLoop implements Runnable {
        private final Contender.StreamSender sender;
        private volatile boolean stop;
        /** Read by the harness thread after join, which makes them visible. */
        private long accepted;
        private long refused;
        private Throwable failure;

        SendLoop(Contender.StreamSender sender) {
            this.sender = sender;
        }

        @Override
        public void run() {
            try {
                int refusals = 0;
                while (!stop) {
                    if (sender.trySend()) {
                        accepted++;
                        refusals = 0;
                    } else {
                        refused++;
                        backOff(++refusals);
                    }
                }
            } catch (Throwable t) {
                failure = t;
            }
        }

        /**
         * Spins only briefly: on a small machine the threads that drain the queue need this core, so a refused sender
         * soon yields, then sleeps.
         */
        private static void backOff(int refusals) {
            if (refusals <= 8) {
                Thread.onSpinWait();
            } else if (refusals <= 16) {
                Thread.yield();
            } else {
                LockSupport.parkNanos(1_000);
            }
        }
    }
}

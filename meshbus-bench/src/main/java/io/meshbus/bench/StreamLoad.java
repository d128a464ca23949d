package io.meshbus.bench;

import io.meshbus.bench.Contender.Received;
import io.meshbus.bench.Contender.Stream;
import io.meshbus.bench.Contender.StreamSender;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * A one-way stream as a {@link RateLoop.Load}: a {@link SendLoop} sends flat out while the slice runs; the rate is
 * what the receiver counted (or, for a sender with confirmations, what it saw confirmed). After each slice the
 * sender stops and the receiver gets up to {@link #DRAIN} for every message the sender had handed over, so a loss
 * or a duplicate is reported next to the rate instead of hiding in it, and the next contender's slice does not
 * compete with this one's leftovers. A lossy stream's drain ends once its count stopped growing for {@link #QUIET}.
 *
 * <p>Threads: the loop's thread calls everything; the sender runs on the send loop's own.
 */
public final class StreamLoad implements RateLoop.Load {
    /** How long the receiver may take to receive what was in flight when the sender stopped. */
    static final Duration DRAIN = Duration.ofSeconds(10);
    /** A lossy contender's drain ends once nothing arrived for this long: what is missing then was dropped. */
    private static final Duration QUIET = Duration.ofSeconds(1);

    private final String name;
    private final Stream stream;
    private final int size;
    private SendLoop loop;
    private long accepted;
    private long refused;
    private long expected;
    private Received last = new Received(0, 0);

    public StreamLoad(String name, Stream stream, int size) {
        this.name = name;
        this.stream = stream;
        this.size = size;
    }

    @Override
    public String name() {
        return name;
    }

    @Override
    public void start() {
        loop = SendLoop.start(name, stream.sender());
    }

    @Override
    public long completed() throws IOException {
        long confirmed = stream.sender().confirmed();
        return confirmed >= 0 ? confirmed : stream.received().delivered();
    }

    @Override
    public void stop() throws Exception {
        loop.stopAndJoin();
        accepted += loop.accepted();
        refused += loop.refused();
        StreamSender sender = stream.sender();
        sender.flush();
        expected = sender.expectedDeliveries(accepted);
        long deadline = System.nanoTime() + DRAIN.toNanos();
        long seen = -1;
        long seenAt = System.nanoTime();
        while (true) {
            last = stream.received();
            long arrived = last.total() + stream.lost();
            long now = System.nanoTime();
            if (arrived != seen) {
                seen = arrived;
                seenAt = now;
            }
            if (arrived >= expected || now - deadline > 0
                    || (stream.lossy() && now - seenAt > QUIET.toNanos())) {
                break;
            }
            Thread.sleep(1);
        }
    }

    @Override
    public List<String> warnings() {
        System.err.printf("%s: %,d messages accepted, %,d sends refused and retried%n", name, accepted, refused);
        List<String> w = new ArrayList<>();
        long lost = stream.lost();
        long missing = expected - lost - last.total();
        if (lost > 0) {
            w.add(String.format("%s: %,d of %,d messages sent were refused or dropped on the way (counted by the "
                    + "contender)", name, lost, expected));
        }
        if (missing > 0 && stream.lossy()) {
            w.add(String.format("%s: %,d of %,d messages sent were dropped on the way (%.1f%%)", name, missing,
                    expected, 100.0 * missing / expected));
        } else if (missing > 0) {
            w.add(String.format("%s: %,d of %,d messages accepted by send were not delivered within %d s after "
                    + "the sender stopped", name, missing, expected, DRAIN.toSeconds()));
        } else if (missing < 0) {
            w.add(String.format("%s: %,d messages delivered but only %,d sent: %,d duplicates", name,
                    last.total(), expected - lost, -missing));
        }
        if (last.malformed() > 0) {
            w.add(String.format("%s: %,d messages arrived with a payload other than %d bytes", name,
                    last.malformed(), size));
        }
        w.addAll(stream.sender().warnings());
        return w;
    }
}

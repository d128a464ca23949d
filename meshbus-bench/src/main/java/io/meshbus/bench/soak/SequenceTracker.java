package io.meshbus.bench.soak;

import java.util.HashSet;
import java.util.Set;
import org.HdrHistogram.Histogram;

/**
 * A flow's receiving side: which sequence numbers arrived, how many twice or late, their latency; and the confirmed
 * ones not seen yet. Memory is bounded whatever the run's length: a ring of the latest {@code tracked} sequence
 * numbers (one bit each), a latency histogram of fixed range, and at most {@code maxUnverified} confirmed numbers
 * awaiting their message (past that they are only counted).
 *
 * <p>A number more than {@code tracked} behind the highest cannot be told from a duplicate any more: it counts as
 * delivered and as {@code untracked} (the report adds it to the reordered ones, with a warning).
 *
 * <p>Threads: the receiving listener ({@link #received}) and the sender's completions ({@link #confirmed}) both call
 * in, a few thousand times a second; every method holds this object's monitor.
 */
final class SequenceTracker {
    /** A latency above this (one hour) is recorded as this: the histogram's range is fixed, so is its memory. */
    static final long HIGHEST_LATENCY_MICROS = 3_600_000_000L;

    /** What the tracker counted, copied under its monitor. */
    record Counts(long delivered, long duplicated, long reordered, long untracked, long arrivals, long unverified,
                  Histogram latency) {
    }

    private final int tracked;
    private final int maxUnverified;
    // guarded by this: every field below
    private final long[] seen;
    private long highest = -1;
    private long delivered;
    private long duplicated;
    private long reordered;
    private long untracked;
    /** Every arrival, duplicates included: the drain watches it move. */
    private long arrivals;
    private final Histogram latency = new Histogram(HIGHEST_LATENCY_MICROS, 3);
    private final Set<Long> unverified = new HashSet<>();
    private long unverifiedOverflow;

    /**
     * @param tracked       sequence numbers remembered behind the highest; a power of two, at least 64
     * @param maxUnverified confirmed numbers not seen yet that are remembered one by one
     */
    SequenceTracker(int tracked, int maxUnverified) {
        if (tracked < 64 || Integer.bitCount(tracked) != 1) {
            throw new IllegalArgumentException("tracked must be a power of two of at least 64, was " + tracked);
        }
        this.tracked = tracked;
        this.maxUnverified = maxUnverified;
        this.seen = new long[tracked / 64];
    }

    /** A message of sequence number {@code seq} reached the listener, {@code latencyNanos} after it was sent. */
    synchronized void received(long seq, long latencyNanos) {
        arrivals++;
        if (seq > highest) {
            // The numbers skipped over are not seen yet; their bits still hold what arrived a ring earlier.
            long from = Math.max(highest + 1, seq - tracked + 1);
            for (long s = from; s < seq; s++) {
                clear(s);
            }
            highest = seq;
        } else if (seq <= highest - tracked) {
            untracked++;
            delivered++;
            unverified.remove(seq);
            return;
        } else if (isSet(seq)) {
            duplicated++;
            return;
        } else {
            reordered++;
        }
        set(seq);
        delivered++;
        unverified.remove(seq);
        latency.recordValue(Math.max(0, Math.min(latencyNanos / 1_000, HIGHEST_LATENCY_MICROS)));
    }

    /** A confirmed send completed: its message must have reached the listener already, or it never will. */
    synchronized void confirmed(long seq) {
        boolean arrived = seq <= highest && (seq <= highest - tracked || isSet(seq));
        if (arrived) {
            return;
        }
        // Completion may run a moment before the listener does; the drain's end decides.
        if (unverified.size() < maxUnverified) {
            unverified.add(seq);
        } else {
            unverifiedOverflow++;
        }
    }

    synchronized long delivered() {
        return delivered;
    }

    synchronized long arrivals() {
        return arrivals;
    }

    /** Confirmed numbers whose message has not arrived (yet). */
    synchronized long unverified() {
        return unverified.size() + unverifiedOverflow;
    }

    synchronized Counts counts() {
        return new Counts(delivered, duplicated, reordered, untracked, arrivals, unverified(), latency.copy());
    }

    private boolean isSet(long seq) {
        int bit = (int) (seq & (tracked - 1));
        return (seen[bit >>> 6] & (1L << bit)) != 0;
    }

    private void set(long seq) {
        int bit = (int) (seq & (tracked - 1));
        seen[bit >>> 6] |= 1L << bit;
    }

    private void clear(long seq) {
        int bit = (int) (seq & (tracked - 1));
        seen[bit >>> 6] &= ~(1L << bit);
    }
}

package io.meshbus.internal;

import java.time.Duration;
import java.util.Arrays;
import java.util.Iterator;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.LongSupplier;
import org.slf4j.Logger;

/**
 * Log lines rate-limited per key (a remote address, say): in each period at most {@code burst} lines per key get
 * through; the others are counted, and the next line that gets through for that key says how many were left out.
 * A thousand connections refused from one address cost a few lines, not a thousand, and one noisy address does not
 * silence the others. Memory is bounded: past {@code maxKeys} keys, new keys share one window until old ones expire.
 *
 * <p>Threads: any; each key's window is guarded by itself.
 */
public final class RateLimitedLog {
    /** The key that new keys share once {@code maxKeys} keys have a window. */
    private static final Object OTHERS = new Object() {
        @Override
        public String toString() {
            return "other keys";
        }
    };

    private final long periodNanos;
    private final int burst;
    private final int maxKeys;
    private final LongSupplier clock;
    private final LongAdder suppressed;
    private final Map<Object, Window> windows = new ConcurrentHashMap<>();

    private static final class Window {
        // guarded by this
        long start;
        int logged;
        long left;

        Window(long start) {
            this.start = start;
        }
    }

    /**
     * @param suppressed counts every line left out (a node's metric, say)
     */
    public RateLimitedLog(Duration period, int burst, int maxKeys, LongSupplier nanoClock, LongAdder suppressed) {
        if (period.isNegative() || period.isZero() || burst < 1 || maxKeys < 1) {
            throw new IllegalArgumentException("period, burst and maxKeys: must be positive");
        }
        this.periodNanos = period.toNanos();
        this.burst = burst;
        this.maxKeys = maxKeys;
        this.clock = nanoClock;
        this.suppressed = suppressed;
    }

    /** Five lines per key every ten seconds, for up to 1,024 keys. */
    public static RateLimitedLog perRemote(LongAdder suppressed) {
        return new RateLimitedLog(Duration.ofSeconds(10), 5, 1024, System::nanoTime, suppressed);
    }

    /** Logs a warning unless the key used up its lines for this period; see {@link #admit}. */
    public void warn(Logger log, Object key, String format, Object... args) {
        long left = admit(key);
        if (left == 0) {
            log.warn(format, args);
        } else if (left > 0) {
            log.warn(format + " ({} similar lines suppressed)", withCount(args, left));
        }
    }

    /**
     * Whether a line for {@code key} may be logged now: -1 when it is to be left out (and counted), else how many
     * lines for that key were left out since the last one logged (usually 0).
     */
    public long admit(Object key) {
        long now = clock.getAsLong();
        Window w = window(key, now);
        synchronized (w) {
            if (now - w.start >= periodNanos) {
                w.start = now;
                w.logged = 0;
            }
            if (w.logged >= burst) {
                w.left++;
                suppressed.increment();
                return -1;
            }
            w.logged++;
            long left = w.left;
            w.left = 0;
            return left;
        }
    }

    private Window window(Object key, long now) {
        Window w = windows.get(key);
        if (w != null) {
            return w;
        }
        if (windows.size() >= maxKeys) {
            forgetExpired(now);
            if (windows.size() >= maxKeys) {
                return windows.computeIfAbsent(OTHERS, k -> new Window(now));
            }
        }
        return windows.computeIfAbsent(key, k -> new Window(now));
    }

    /** Drops windows whose period ended with nothing left out: they have nothing more to say. */
    private void forgetExpired(long now) {
        for (Iterator<Window> it = windows.values().iterator(); it.hasNext(); ) {
            Window w = it.next();
            synchronized (w) {
                if (now - w.start >= periodNanos && w.left == 0) {
                    it.remove();
                }
            }
        }
    }

    /** The arguments with the count of lines left out added, before a trailing throwable if there is one. */
    static Object[] withCount(Object[] args, long left) {
        Object[] out = Arrays.copyOf(args, args.length + 1);
        if (args.length > 0 && args[args.length - 1] instanceof Throwable t) {
            out[args.length - 1] = left;
            out[args.length] = t;
        } else {
            out[args.length] = left;
        }
        return out;
    }
}

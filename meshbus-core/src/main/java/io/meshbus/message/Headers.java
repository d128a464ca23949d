package io.meshbus.message;

import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;

/**
 * Immutable message headers: string keys to string values, in insertion order, keys case-sensitive. Most messages
 * carry a handful, so they live in one flat array (no map, no entry objects); lookups are linear, which beats hashing
 * at these sizes.
 */
public final class Headers {
    public static final String URI = "uri";
    public static final String VERB = "verb";
    public static final String FROM = "from";
    public static final String TO = "to";
    public static final String CHANNEL = "channel";
    public static final String REPLY_TO = "replyTo";
    public static final String CORRELATION_ID = "correlationId";
    public static final String STATUS = "status";

    /** Longest key or value, in chars: keeps every header within the wire's 16-bit length fields. */
    public static final int MAX_LENGTH = 16_383;
    /** Most headers one message may carry (the wire counts them in one byte). */
    public static final int MAX_COUNT = 255;

    public static final Headers EMPTY = new Headers(new String[0]);

    private final String[] kv;

    private Headers(String[] kv) {
        this.kv = kv;
    }

    public static Headers of(String key, String value) {
        return EMPTY.with(key, value);
    }

    public static Headers of(Map<String, String> map) {
        Builder b = builder();
        map.forEach(b::put);
        return b.build();
    }

    /**
     * Headers from an array of alternating keys and values that the caller hands over (decoders, which build it
     * fresh): no map, no copy. Checks the count, the lengths and that no key repeats.
     */
    public static Headers adopt(String[] keyValues) {
        if ((keyValues.length & 1) != 0 || keyValues.length / 2 > MAX_COUNT) {
            throw new IllegalArgumentException("keyValues: must be at most " + MAX_COUNT + " key/value pairs");
        }
        for (int i = 0; i < keyValues.length; i += 2) {
            check(keyValues[i], "key");
            check(keyValues[i + 1], "value");
            for (int j = 0; j < i; j += 2) {
                if (keyValues[j].equals(keyValues[i])) {
                    throw new IllegalArgumentException("keyValues: key '" + keyValues[i] + "' appears twice");
                }
            }
        }
        return keyValues.length == 0 ? EMPTY : new Headers(keyValues);
    }

    public static Builder builder() {
        return new Builder();
    }

    /** The value of a header, or null. */
    public String get(String key) {
        for (int i = 0; i < kv.length; i += 2) {
            if (kv[i].equals(key)) {
                return kv[i + 1];
            }
        }
        return null;
    }

    public int size() {
        return kv.length >> 1;
    }

    public boolean isEmpty() {
        return kv.length == 0;
    }

    public String keyAt(int index) {
        return kv[index << 1];
    }

    public String valueAt(int index) {
        return kv[(index << 1) + 1];
    }

    /** A copy with one header set (replaced if present, appended if not); {@code null} value removes it. */
    public Headers with(String key, String value) {
        check(key, "key");
        for (int i = 0; i < kv.length; i += 2) {
            if (kv[i].equals(key)) {
                if (value == null) {
                    String[] n = new String[kv.length - 2];
                    System.arraycopy(kv, 0, n, 0, i);
                    System.arraycopy(kv, i + 2, n, i, kv.length - i - 2);
                    return new Headers(n);
                }
                String[] n = kv.clone();
                n[i + 1] = check(value, "value");
                return new Headers(n);
            }
        }
        if (value == null) {
            return this;
        }
        if (size() >= MAX_COUNT) {
            throw new IllegalArgumentException("headers: at most " + MAX_COUNT + " per message");
        }
        String[] n = Arrays.copyOf(kv, kv.length + 2);
        n[kv.length] = key;
        n[kv.length + 1] = check(value, "value");
        return new Headers(n);
    }

    /**
     * A copy with several headers set at once ({@code key1, value1, key2, value2, ...}): one array copy however many,
     * for the layers that stamp routing headers on every message.
     */
    public Headers withAll(String... keyValues) {
        if ((keyValues.length & 1) != 0) {
            throw new IllegalArgumentException("keyValues: must be key/value pairs, got " + keyValues.length);
        }
        String[] n = Arrays.copyOf(kv, kv.length + keyValues.length);
        int size = kv.length;
        outer:
        for (int j = 0; j < keyValues.length; j += 2) {
            String key = check(keyValues[j], "key");
            String value = check(keyValues[j + 1], "value");
            for (int i = 0; i < size; i += 2) {
                if (n[i].equals(key)) {
                    n[i + 1] = value;
                    continue outer;
                }
            }
            n[size++] = key;
            n[size++] = value;
        }
        if (size / 2 > MAX_COUNT) {
            throw new IllegalArgumentException("headers: at most " + MAX_COUNT + " per message");
        }
        return new Headers(size == n.length ? n : Arrays.copyOf(n, size));
    }

    /** A read-only map view in insertion order. */
    public Map<String, String> asMap() {
        Map<String, String> m = new LinkedHashMap<>();
        for (int i = 0; i < kv.length; i += 2) {
            m.put(kv[i], kv[i + 1]);
        }
        return Collections.unmodifiableMap(m);
    }

    private static String check(String s, String what) {
        Objects.requireNonNull(s, what);
        if (s.length() > MAX_LENGTH) {
            throw new IllegalArgumentException(what + ": longer than " + MAX_LENGTH + " chars");
        }
        return s;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Headers h && asMap().equals(h.asMap());
    }

    @Override
    public int hashCode() {
        return asMap().hashCode();
    }

    @Override
    public String toString() {
        return asMap().toString();
    }

    /** Collects headers; later puts of the same key replace earlier ones. */
    public static final class Builder {
        private final Map<String, String> map = new LinkedHashMap<>();

        private Builder() {
        }

        public Builder put(String key, String value) {
            check(key, "key");
            if (value == null) {
                map.remove(key);
            } else {
                map.put(key, check(value, "value"));
            }
            return this;
        }

        public Headers build() {
            if (map.isEmpty()) {
                return EMPTY;
            }
            if (map.size() > MAX_COUNT) {
                throw new IllegalArgumentException("headers: at most " + MAX_COUNT + " per message");
            }
            String[] kv = new String[map.size() * 2];
            int i = 0;
            for (Map.Entry<String, String> e : map.entrySet()) {
                kv[i++] = e.getKey();
                kv[i++] = e.getValue();
            }
            return new Headers(kv);
        }
    }
}

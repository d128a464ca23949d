package io.meshbus.codec;

import java.nio.ByteBuffer;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The codecs a node knows, by content type, and the rule that picks one for a value: {@code byte[]} and
 * {@code ByteBuffer} travel raw, {@code CharSequence} as UTF-8 text, everything else with the default codec (JSON
 * unless configured otherwise). Immutable once built; {@link #standard()} is shared.
 */
public final class Codecs {
    private static final Codecs STANDARD = new Codecs(new JsonCodec(), Map.of());

    private final Codec defaultCodec;
    private final Map<String, Codec> byName = new ConcurrentHashMap<>();

    private Codecs(Codec defaultCodec, Map<String, Codec> extra) {
        this.defaultCodec = defaultCodec;
        for (Codec c : new Codec[] {new JsonCodec(), new MsgpackCodec(), new TextCodec(), new BytesCodec()}) {
            byName.put(c.contentType().name(), c);
        }
        byName.put(defaultCodec.contentType().name(), defaultCodec);
        byName.putAll(extra);
    }

    /** JSON by default, plus MessagePack, text and bytes. */
    public static Codecs standard() {
        return STANDARD;
    }

    /** The standard set with another default codec for objects (for example {@link MsgpackCodec}). */
    public static Codecs withDefault(Codec defaultCodec) {
        return new Codecs(Objects.requireNonNull(defaultCodec, "defaultCodec"), Map.of());
    }

    /** A new set with one more codec; replaces any codec of the same content type. */
    public Codecs with(Codec codec) {
        Map<String, Codec> extra = new ConcurrentHashMap<>(byName);
        extra.put(codec.contentType().name(), codec);
        return new Codecs(defaultCodec, extra);
    }

    public Codec defaultCodec() {
        return defaultCodec;
    }

    /** The codec for a content type; throws {@link CodecException} when none is registered. */
    public Codec forType(ContentType type) {
        Codec c = byName.get(type.name());
        if (c == null) {
            throw new CodecException("no codec for content type " + type, null);
        }
        return c;
    }

    /** The codec the type rule picks for a value. */
    public Codec forValue(Object value) {
        if (value instanceof byte[] || value instanceof ByteBuffer) {
            return byName.get(ContentType.BYTES.name());
        }
        if (value instanceof CharSequence) {
            return byName.get(ContentType.TEXT.name());
        }
        return defaultCodec;
    }
}

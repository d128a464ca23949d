package io.meshbus.codec;

/**
 * Turns payload objects into bytes and back for one content type. Implementations are thread-safe and stateless as
 * far as callers can tell. Never Java serialization: a payload must be readable by a non-Java peer.
 */
public interface Codec {
    ContentType contentType();

    /** Encodes a value; throws {@link CodecException} when the value cannot be represented. */
    byte[] encode(Object value);

    /** Decodes {@code length} bytes at {@code offset} into the requested type; throws {@link CodecException}. */
    <T> T decode(byte[] bytes, int offset, int length, Class<T> type);
}

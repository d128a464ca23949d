package io.meshbus.codec;

import java.nio.charset.StandardCharsets;

/** UTF-8 text. Encodes any value with {@code toString()}; decodes to {@code String} (or {@code CharSequence}). */
public final class TextCodec implements Codec {
    @Override
    public ContentType contentType() {
        return ContentType.TEXT;
    }

    @Override
    public byte[] encode(Object value) {
        return String.valueOf(value).getBytes(StandardCharsets.UTF_8);
    }

    @Override
    public <T> T decode(byte[] bytes, int offset, int length, Class<T> type) {
        if (type == byte[].class) {
            return type.cast(BytesCodec.copy(bytes, offset, length));
        }
        if (!type.isAssignableFrom(String.class)) {
            throw new CodecException("text can only be decoded as String, not " + type.getName(), null);
        }
        return type.cast(new String(bytes, offset, length, StandardCharsets.UTF_8));
    }
}

package io.meshbus.codec;

import java.nio.ByteBuffer;
import java.util.Arrays;

/** Raw bytes, untouched: encodes {@code byte[]} and {@code ByteBuffer}, decodes to either. */
public final class BytesCodec implements Codec {
    @Override
    public ContentType contentType() {
        return ContentType.BYTES;
    }

    @Override
    public byte[] encode(Object value) {
        if (value instanceof byte[] b) {
            return b.clone();
        }
        if (value instanceof ByteBuffer bb) {
            byte[] b = new byte[bb.remaining()];
            bb.duplicate().get(b);
            return b;
        }
        throw new CodecException("raw bytes codec takes byte[] or ByteBuffer, not " + JsonCodec.typeName(value), null);
    }

    @Override
    public <T> T decode(byte[] bytes, int offset, int length, Class<T> type) {
        if (type == byte[].class || type == Object.class) {
            return type.cast(copy(bytes, offset, length));
        }
        if (type == ByteBuffer.class) {
            return type.cast(ByteBuffer.wrap(copy(bytes, offset, length)).asReadOnlyBuffer());
        }
        throw new CodecException("raw bytes decode to byte[] or ByteBuffer, not " + type.getName(), null);
    }

    static byte[] copy(byte[] bytes, int offset, int length) {
        return Arrays.copyOfRange(bytes, offset, offset + length);
    }
}

package io.meshbus.wire;

import io.netty.buffer.ByteBuf;
import java.nio.charset.StandardCharsets;

/**
 * Remembers recent header strings of one link, both ways, because the same few values (peer ids, operations) repeat
 * in message after message. Decoding: bytes equal to a remembered value give back the same String, without decoding
 * or allocating. Encoding: a String instance seen before gives back its UTF-8 bytes without encoding again. Direct
 * mapped, 64 slots each way, not thread-safe: one per decoder and one per writer.
 */
public final class StringCache {
    private static final int SLOTS = 64;
    private static final int MAX_CACHED = 128;

    private final byte[][] decodedBytes = new byte[SLOTS][];
    private final String[] decoded = new String[SLOTS];
    private final String[] encoded = new String[SLOTS];
    private final byte[][] encodedBytes = new byte[SLOTS][];

    /** The string of {@code n} UTF-8 bytes at {@code in.readerIndex()}; consumes them. */
    String read(ByteBuf in, int n) {
        if (n > MAX_CACHED) {
            String s = in.toString(in.readerIndex(), n, StandardCharsets.UTF_8);
            in.skipBytes(n);
            return s;
        }
        int at = in.readerIndex();
        int h = n;
        for (int i = 0; i < n; i++) {
            h = 31 * h + in.getByte(at + i);
        }
        int slot = (h ^ (h >>> 16)) & (SLOTS - 1);
        byte[] b = decodedBytes[slot];
        if (b != null && b.length == n && same(in, at, b)) {
            in.skipBytes(n);
            return decoded[slot];
        }
        byte[] copy = new byte[n];
        in.readBytes(copy);
        String s = new String(copy, StandardCharsets.UTF_8);
        decodedBytes[slot] = copy;
        decoded[slot] = s;
        return s;
    }

    private static boolean same(ByteBuf in, int at, byte[] b) {
        for (int i = 0; i < b.length; i++) {
            if (in.getByte(at + i) != b[i]) {
                return false;
            }
        }
        return true;
    }

    /** The UTF-8 bytes of a string, remembered by identity. */
    byte[] bytes(String s) {
        int slot = System.identityHashCode(s) & (SLOTS - 1);
        if (encoded[slot] == s) {
            return encodedBytes[slot];
        }
        byte[] b = s.getBytes(StandardCharsets.UTF_8);
        if (b.length <= MAX_CACHED) {
            encoded[slot] = s;
            encodedBytes[slot] = b;
        }
        return b;
    }
}

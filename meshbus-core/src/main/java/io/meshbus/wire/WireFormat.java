package io.meshbus.wire;

import io.meshbus.codec.ContentType;
import io.meshbus.error.ErrorCode;
import io.meshbus.error.FrameTooLargeException;
import io.meshbus.error.ProtocolViolationException;
import io.meshbus.message.Headers;
import io.meshbus.message.Message;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.StandardCharsets;
import java.util.UUID;

/**
 * Encodes and decodes frames. Every frame is {@code u32 length | u8 type | body}; the length counts the type byte and
 * the body. Decoding works on exactly one frame's bytes and rejects anything malformed with a
 * {@link ProtocolViolationException} that names what was wrong.
 */
public final class WireFormat {
    /** Header keys with a one-byte code on the wire; index = code. */
    private static final String[] KNOWN_KEYS = {null, Headers.URI, Headers.VERB, Headers.FROM, Headers.TO,
        Headers.CHANNEL, Headers.REPLY_TO, Headers.CORRELATION_ID, Headers.STATUS};

    private static final int DATA_FIXED = 1 + 1 + 16 + 1 + 1;

    private WireFormat() {
    }

    // ---------------------------------------------------------------- encoding

    /** Appends one DATA frame; throws {@link FrameTooLargeException} (writing nothing) when it exceeds the limit. */
    public static void writeData(ByteBuf out, Message m, int maxFrameSize) {
        writeData(out, m, maxFrameSize, null);
    }

    /** {@link #writeData(ByteBuf, Message, int)} with a link's cache of encoded header strings (may be null). */
    public static void writeData(ByteBuf out, Message m, int maxFrameSize, StringCache cache) {
        int start = out.writerIndex();
        out.writeInt(0);
        out.writeByte(Protocol.DATA);
        out.writeByte(0);
        UUID id = m.id();
        out.writeLong(id.getMostSignificantBits());
        out.writeLong(id.getLeastSignificantBits());
        ContentType ct = m.contentType();
        out.writeByte(ct.wireCode());
        if (ct.wireCode() == 0) {
            writeStr8(out, ct.name());
        }
        Headers h = m.headers();
        int n = h.size();
        out.writeByte(n);
        for (int i = 0; i < n; i++) {
            String k = h.keyAt(i);
            int code = knownKeyCode(k);
            out.writeByte(code);
            if (code == 0) {
                writeStr16(out, k, cache);
            }
            writeStr16(out, h.valueAt(i), cache);
        }
        byte[] payload = m.unsafePayloadArray();
        int length = out.writerIndex() - start - Protocol.LENGTH_FIELD + payload.length;
        if (length > maxFrameSize) {
            out.writerIndex(start);
            throw new FrameTooLargeException("message " + m.id() + " needs a frame of " + length
                    + " bytes, more than the maximum frame size " + maxFrameSize);
        }
        out.writeBytes(payload);
        out.setInt(start, length);
    }

    /** Appends one control frame. */
    public static void writeControl(ByteBuf out, Frame f) {
        int start = out.writerIndex();
        out.writeInt(0);
        if (f instanceof Frame.Hello h) {
            out.writeByte(Protocol.HELLO);
            out.writeInt(Protocol.MAGIC);
            out.writeShort(h.version());
            out.writeByte((h.keep() ? 1 : 0) | (h.replace() ? 2 : 0));
            out.writeLong(h.incarnation());
            writeStr16(out, h.id());
            writeStr16(out, h.address());
            writeStr16(out, h.expectedId());
        } else if (f instanceof Frame.Accept a) {
            out.writeByte(Protocol.ACCEPT);
            out.writeByte(a.keep() ? 1 : 0);
            out.writeLong(a.incarnation());
            writeStr16(out, a.id());
            writeStr16(out, a.address());
        } else if (f instanceof Frame.Reject r) {
            out.writeByte(Protocol.REJECT);
            out.writeShort(r.code().wire());
            writeStr16(out, r.text());
            writeStr16(out, r.id());
        } else if (f instanceof Frame.Keep k) {
            out.writeByte(Protocol.KEEP);
            out.writeByte(k.keep() ? 1 : 0);
        } else if (f instanceof Frame.Ping) {
            out.writeByte(Protocol.PING);
        } else if (f instanceof Frame.Tally t) {
            out.writeByte(Protocol.TALLY);
            out.writeLong(t.count());
        } else if (f instanceof Frame.Challenge c) {
            out.writeByte(Protocol.CHALLENGE);
            writeStr16(out, c.id());
            out.writeByte(c.nonce().length);
            out.writeBytes(c.nonce());
            out.writeByte(c.proof().length);
            out.writeBytes(c.proof());
        } else if (f instanceof Frame.Proof p) {
            out.writeByte(Protocol.PROOF);
            out.writeByte(p.proof().length);
            out.writeBytes(p.proof());
        } else if (f instanceof Frame.Credential c) {
            if (c.token().length > Protocol.MAX_CREDENTIAL) {
                throw new IllegalArgumentException("credential of " + c.token().length + " bytes, at most "
                        + Protocol.MAX_CREDENTIAL);
            }
            out.writeByte(Protocol.CREDENTIAL);
            out.writeShort(c.token().length);
            out.writeBytes(c.token());
        } else if (f instanceof Frame.Bye b) {
            out.writeByte(Protocol.BYE);
            out.writeShort(b.code().wire());
            writeStr16(out, b.text());
        }
        out.setInt(start, out.writerIndex() - start - Protocol.LENGTH_FIELD);
    }

    // ---------------------------------------------------------------- decoding

    /**
     * Decodes the frame whose type byte is at {@code in.readerIndex()} and whose length (type + body) is
     * {@code length}; consumes exactly those bytes. Returns a {@link Message} for DATA, a {@link Frame} otherwise.
     */
    public static Object read(ByteBuf in, int length) {
        return read(in, length, null);
    }

    /** {@link #read(ByteBuf, int)} with a link's cache of decoded header strings (may be null). */
    public static Object read(ByteBuf in, int length, StringCache cache) {
        int end = in.readerIndex() + length;
        byte type = in.readByte();
        Object result;
        switch (type) {
            case Protocol.DATA -> result = readData(in, end, cache);
            case Protocol.HELLO -> {
                need(in, end, 4 + 2 + 1 + 8, "HELLO");
                int magic = in.readInt();
                if (magic != Protocol.MAGIC) {
                    throw new ProtocolViolationException(String.format(
                            "HELLO does not start with the Meshbus magic (got 0x%08x): not a Meshbus node", magic));
                }
                int version = in.readUnsignedShort();
                int flags = in.readUnsignedByte();
                long incarnation = in.readLong();
                String id = readId(in, end, "HELLO id");
                String address = readStr16(in, end, "HELLO address");
                String expected = readId(in, end, "HELLO expected id");
                result = new Frame.Hello(version, id, incarnation, address, (flags & 1) != 0, expected,
                        (flags & 2) != 0);
            }
            case Protocol.ACCEPT -> {
                need(in, end, 1 + 8, "ACCEPT");
                boolean keep = in.readUnsignedByte() != 0;
                long incarnation = in.readLong();
                result = new Frame.Accept(readId(in, end, "ACCEPT id"), incarnation,
                        readStr16(in, end, "ACCEPT address"), keep);
            }
            case Protocol.REJECT -> {
                need(in, end, 2, "REJECT");
                ErrorCode code = ErrorCode.ofWire(in.readUnsignedShort());
                result = new Frame.Reject(code, readStr16(in, end, "REJECT text"), readId(in, end, "REJECT id"));
            }
            case Protocol.KEEP -> {
                need(in, end, 1, "KEEP");
                result = new Frame.Keep(in.readUnsignedByte() != 0);
            }
            case Protocol.PING -> result = Frame.Ping.INSTANCE;
            case Protocol.TALLY -> {
                need(in, end, 8, "TALLY");
                long count = in.readLong();
                if (count < 0) {
                    throw new ProtocolViolationException("TALLY: negative count " + count);
                }
                result = new Frame.Tally(count);
            }
            case Protocol.CHALLENGE -> {
                String id = readId(in, end, "CHALLENGE id");
                byte[] nonce = readBytes8(in, end, "CHALLENGE nonce");
                result = new Frame.Challenge(id, nonce, readBytes8(in, end, "CHALLENGE proof"));
            }
            case Protocol.PROOF -> result = new Frame.Proof(readBytes8(in, end, "PROOF"));
            case Protocol.CREDENTIAL -> {
                need(in, end, 2, "CREDENTIAL");
                int n = in.readUnsignedShort();
                need(in, end, n, "CREDENTIAL token");
                byte[] token = new byte[n];
                in.readBytes(token);
                result = new Frame.Credential(token);
            }
            case Protocol.BYE -> {
                need(in, end, 2, "BYE");
                ErrorCode code = ErrorCode.ofWire(in.readUnsignedShort());
                result = new Frame.Bye(code, readStr16(in, end, "BYE text"));
            }
            default -> throw new ProtocolViolationException(String.format("unknown frame type 0x%02x", type));
        }
        if (in.readerIndex() != end) {
            throw new ProtocolViolationException("frame type " + type + " has " + (end - in.readerIndex())
                    + " trailing bytes");
        }
        return result;
    }

    private static Message readData(ByteBuf in, int end, StringCache cache) {
        need(in, end, DATA_FIXED - 1, "DATA");
        in.skipBytes(1); // flags: reserved, 0 in version 1
        UUID id = new UUID(in.readLong(), in.readLong());
        int ctCode = in.readUnsignedByte();
        ContentType ct;
        if (ctCode == 0) {
            try {
                ct = ContentType.of(readStr8(in, end, "DATA content type"));
            } catch (IllegalArgumentException e) {
                throw new ProtocolViolationException("DATA content type: " + e.getMessage());
            }
        } else {
            ct = ContentType.ofWireCode(ctCode);
            if (ct == null) {
                throw new ProtocolViolationException("DATA has unknown content type code " + ctCode);
            }
        }
        need(in, end, 1, "DATA header count");
        int n = in.readUnsignedByte();
        Headers headers = Headers.EMPTY;
        if (n > 0) {
            String[] kv = new String[n * 2];
            for (int i = 0; i < n; i++) {
                need(in, end, 1, "DATA header key");
                int code = in.readUnsignedByte();
                if (code == 0) {
                    kv[2 * i] = readStr16(in, end, "DATA header key", cache);
                } else if (code < KNOWN_KEYS.length) {
                    kv[2 * i] = KNOWN_KEYS[code];
                } else {
                    throw new ProtocolViolationException("DATA has unknown header key code " + code);
                }
                kv[2 * i + 1] = readStr16(in, end, "DATA header value", cache);
            }
            try {
                headers = Headers.adopt(kv);
            } catch (IllegalArgumentException e) {
                throw new ProtocolViolationException("DATA headers: " + e.getMessage());
            }
        }
        byte[] payload = new byte[end - in.readerIndex()];
        in.readBytes(payload);
        return Message.adopt(id, headers, ct, payload);
    }

    private static int knownKeyCode(String key) {
        for (int i = 1; i < KNOWN_KEYS.length; i++) {
            if (KNOWN_KEYS[i].equals(key)) {
                return i;
            }
        }
        return 0;
    }

    private static void writeStr16(ByteBuf out, String s, StringCache cache) {
        if (cache == null) {
            writeStr16(out, s);
            return;
        }
        byte[] b = cache.bytes(s);
        out.writeShort(b.length);
        out.writeBytes(b);
    }

    private static void writeStr16(ByteBuf out, String s) {
        int lenAt = out.writerIndex();
        out.writeShort(0);
        int n = ByteBufUtil.writeUtf8(out, s);
        out.setShort(lenAt, n);
    }

    private static void writeStr8(ByteBuf out, String s) {
        int lenAt = out.writerIndex();
        out.writeByte(0);
        int n = ByteBufUtil.writeUtf8(out, s);
        if (n > 255) {
            throw new IllegalArgumentException("string longer than 255 bytes: " + s);
        }
        out.setByte(lenAt, n);
    }

    private static String readStr16(ByteBuf in, int end, String what) {
        need(in, end, 2, what);
        int n = in.readUnsignedShort();
        return readUtf8(in, end, n, what);
    }

    /**
     * A node id: a {@code str16} that must be valid UTF-8. Lenient decoding would turn bad bytes into U+FFFD, so two
     * different byte strings could become one id; they are refused instead.
     */
    private static String readId(ByteBuf in, int end, String what) {
        need(in, end, 2, what);
        int n = in.readUnsignedShort();
        need(in, end, n, what);
        try {
            String s = StandardCharsets.UTF_8.newDecoder().decode(in.nioBuffer(in.readerIndex(), n)).toString();
            in.skipBytes(n);
            return s;
        } catch (CharacterCodingException e) {
            throw new ProtocolViolationException(what + " is not valid UTF-8");
        }
    }

    private static String readStr16(ByteBuf in, int end, String what, StringCache cache) {
        if (cache == null) {
            return readStr16(in, end, what);
        }
        need(in, end, 2, what);
        int n = in.readUnsignedShort();
        need(in, end, n, what);
        return n == 0 ? "" : cache.read(in, n);
    }

    private static String readStr8(ByteBuf in, int end, String what) {
        need(in, end, 1, what);
        return readUtf8(in, end, in.readUnsignedByte(), what);
    }

    private static String readUtf8(ByteBuf in, int end, int n, String what) {
        need(in, end, n, what);
        if (n == 0) {
            return "";
        }
        String s = in.toString(in.readerIndex(), n, StandardCharsets.UTF_8);
        in.skipBytes(n);
        return s;
    }

    private static byte[] readBytes8(ByteBuf in, int end, String what) {
        need(in, end, 1, what);
        int n = in.readUnsignedByte();
        need(in, end, n, what);
        byte[] b = new byte[n];
        in.readBytes(b);
        return b;
    }

    private static void need(ByteBuf in, int end, int n, String what) {
        if (end - in.readerIndex() < n) {
            throw new ProtocolViolationException(what + " is truncated: needs " + n + " more bytes, frame has "
                    + (end - in.readerIndex()));
        }
    }
}

package io.meshbus.bus;

import io.meshbus.error.ProtocolViolationException;
import io.meshbus.message.Message;
import io.meshbus.wire.Protocol;
import io.meshbus.wire.WireFormat;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import java.nio.charset.StandardCharsets;

/**
 * The bytes a backplane carries between host inboxes: the sender's host id (one length byte, UTF-8) followed by the
 * message as the same DATA frame a direct link writes (PROTOCOL.md), so both substrates share one format and one
 * fuzzed decoder. Also the small liveness records on a network's hosts channel.
 */
public final class BackplaneFrames {
    private static final int MAX_ID = 255;

    private BackplaneFrames() {
    }

    /** A decoded inbox record. */
    public record Envelope(String fromHost, Message message) {
    }

    /** A liveness record: {@code up} with the host's incarnation, or a goodbye. */
    public record Liveness(String hostId, long incarnation, boolean up) {
    }

    /** Encodes once for any number of inboxes; throws FrameTooLargeException past the limit. */
    public static byte[] encode(String fromHost, Message m, int maxFrameSize) {
        byte[] id = fromHost.getBytes(StandardCharsets.UTF_8);
        if (id.length > MAX_ID) {
            throw new IllegalArgumentException("host id: at most " + MAX_ID + " bytes of UTF-8");
        }
        ByteBuf out = Unpooled.buffer(64 + id.length + m.payloadSize());
        out.writeByte(id.length);
        out.writeBytes(id);
        WireFormat.writeData(out, m, maxFrameSize);
        byte[] bytes = new byte[out.readableBytes()];
        out.readBytes(bytes);
        return bytes;
    }

    /** Decodes an inbox record; anything malformed is a {@link ProtocolViolationException} naming what. */
    public static Envelope decode(byte[] bytes, int maxFrameSize) {
        if (bytes.length < 1 + Protocol.LENGTH_FIELD) {
            throw new ProtocolViolationException("backplane record: " + bytes.length + " bytes is too short");
        }
        int idLength = bytes[0] & 0xff;
        int frameAt = 1 + idLength;
        if (idLength == 0 || frameAt + Protocol.LENGTH_FIELD > bytes.length) {
            throw new ProtocolViolationException("backplane record: host id length " + idLength + " out of bounds");
        }
        String from = new String(bytes, 1, idLength, StandardCharsets.UTF_8);
        ByteBuf in = Unpooled.wrappedBuffer(bytes, frameAt, bytes.length - frameAt);
        int length = in.readInt();
        if (length != in.readableBytes()) {
            throw new ProtocolViolationException("backplane record: frame length " + length + " but "
                    + in.readableBytes() + " bytes follow");
        }
        if (length > maxFrameSize) {
            throw new ProtocolViolationException("backplane record: frame of " + length
                    + " bytes exceeds the maximum frame size " + maxFrameSize);
        }
        Object frame;
        try {
            frame = WireFormat.read(in, length);
        } catch (IndexOutOfBoundsException e) {
            throw new ProtocolViolationException("backplane record: truncated frame", e);
        }
        if (!(frame instanceof Message m)) {
            throw new ProtocolViolationException("backplane record: not a DATA frame");
        }
        return new Envelope(from, m);
    }

    public static String liveness(String hostId, long incarnation, boolean up) {
        return (up ? "u " + incarnation + " " : "d 0 ") + hostId;
    }

    /** Parses a liveness record; null for anything else (counted by the caller, never fatal). */
    public static Liveness parseLiveness(String text) {
        if (text == null || text.length() < 5 || text.charAt(1) != ' ' || (text.charAt(0) != 'u'
                && text.charAt(0) != 'd')) {
            return null;
        }
        int sp = text.indexOf(' ', 2);
        if (sp < 0 || sp == text.length() - 1) {
            return null;
        }
        try {
            long inc = Long.parseLong(text, 2, sp, 10);
            return new Liveness(text.substring(sp + 1), inc, text.charAt(0) == 'u');
        } catch (NumberFormatException e) {
            return null;
        }
    }
}

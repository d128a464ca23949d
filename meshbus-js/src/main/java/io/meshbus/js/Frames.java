package io.meshbus.js;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.meshbus.codec.ContentType;
import io.meshbus.error.ProtocolViolationException;
import io.meshbus.message.Headers;
import io.meshbus.message.Message;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.handler.codec.http.websocketx.BinaryWebSocketFrame;
import io.netty.handler.codec.http.websocketx.TextWebSocketFrame;
import io.netty.handler.codec.http.websocketx.WebSocketFrame;
import java.io.IOException;
import java.nio.charset.StandardCharsets;

/**
 * The gateway's side of the JSON-over-WebSocket protocol (PROTOCOL-JS.md): a text message is one JSON object whose
 * {@code p} holds a JSON or text payload; a binary message is a u32 header length, the JSON header, then the payload
 * bytes.
 */
final class Frames {
    static final ObjectMapper MAPPER = new ObjectMapper();
    static final JsonNodeFactory NODES = JsonNodeFactory.instance;

    private Frames() {
    }

    /** One frame from a browser: its header (with {@code p} for text frames) and the binary payload, if any. */
    record Inbound(ObjectNode header, byte[] binary) {
        String text(String field) {
            JsonNode n = header.get(field);
            return n == null || !n.isTextual() ? null : n.asText();
        }

        String required(String field) {
            String s = text(field);
            if (s == null || s.isEmpty()) {
                throw new ProtocolViolationException("frame '" + text("t") + "' needs a string '" + field + "'");
            }
            return s;
        }

        long number(String field, long otherwise) {
            JsonNode n = header.get(field);
            return n == null || !n.canConvertToLong() ? otherwise : n.asLong();
        }

        /** The payload as a Meshbus message: JSON by default, {@code ct: "text"} as text, binary as bytes. */
        Message toMessage() {
            String ct = text("ct");
            if (binary != null) {
                ContentType type;
                try {
                    type = ct == null || ct.equals("bytes") ? ContentType.BYTES : ContentType.of(ct);
                } catch (IllegalArgumentException e) {
                    // Found by fuzzing: a blank or over-long ct is the browser's mistake, not the gateway's.
                    throw new ProtocolViolationException("bad content type '" + ct + "': " + e.getMessage());
                }
                return Message.ofBytes(Headers.EMPTY, type, binary);
            }
            JsonNode p = header.get("p");
            if ("text".equals(ct)) {
                if (p == null || !p.isTextual()) {
                    throw new ProtocolViolationException("a text payload must be a JSON string");
                }
                return Message.ofBytes(Headers.EMPTY, ContentType.TEXT, p.asText().getBytes(StandardCharsets.UTF_8));
            }
            if (ct != null && !ct.equals("json")) {
                throw new ProtocolViolationException("content type '" + ct + "' needs a binary frame");
            }
            try {
                return Message.ofBytes(Headers.EMPTY, ContentType.JSON,
                        MAPPER.writeValueAsBytes(p == null ? NODES.nullNode() : p));
            } catch (IOException e) {
                throw new ProtocolViolationException("payload: " + e.getMessage());
            }
        }
    }

    static Inbound parse(WebSocketFrame frame) {
        ByteBuf b = frame.content();
        try {
            if (frame instanceof TextWebSocketFrame) {
                return new Inbound(object(MAPPER.readTree(new io.netty.buffer.ByteBufInputStream(b))), null);
            }
            if (frame instanceof BinaryWebSocketFrame) {
                if (b.readableBytes() < 4) {
                    throw new ProtocolViolationException("binary frame shorter than its 4-byte header length");
                }
                long n = b.readUnsignedInt();
                if (n > b.readableBytes()) {
                    throw new ProtocolViolationException("binary frame header length " + n + " exceeds the frame");
                }
                byte[] h = new byte[(int) n];
                b.readBytes(h);
                byte[] payload = new byte[b.readableBytes()];
                b.readBytes(payload);
                return new Inbound(object(MAPPER.readTree(h)), payload);
            }
        } catch (IOException e) {
            throw new ProtocolViolationException("malformed JSON: " + e.getMessage());
        }
        throw new ProtocolViolationException("unexpected WebSocket frame " + frame.getClass().getSimpleName());
    }

    private static ObjectNode object(JsonNode n) {
        if (n instanceof ObjectNode o && o.get("t") != null && o.get("t").isTextual()) {
            return o;
        }
        throw new ProtocolViolationException("a frame is a JSON object with a string 't'");
    }

    static ObjectNode header(String type) {
        ObjectNode o = NODES.objectNode();
        o.put("t", type);
        return o;
    }

    static WebSocketFrame text(ObjectNode header) {
        try {
            return new TextWebSocketFrame(io.netty.buffer.Unpooled.wrappedBuffer(MAPPER.writeValueAsBytes(header)));
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    /** A frame carrying a message's payload: JSON and text inline, anything else binary with its content type. */
    static WebSocketFrame withPayload(ObjectNode header, Message m, ByteBufAllocator alloc) {
        ContentType type = m.contentType();
        if (type.equals(ContentType.TEXT)) {
            header.put("ct", "text");
            header.put("p", m.payloadText());
            return text(header);
        }
        if (type.equals(ContentType.JSON)) {
            try {
                header.set("p", m.payloadSize() == 0 ? NODES.nullNode() : MAPPER.readTree(m.payloadBytes()));
                return text(header);
            } catch (IOException e) {
                // Not valid JSON after all: the bytes travel as they are, labelled, rather than being lost.
                header.remove("p");
            }
        }
        header.put("ct", type.equals(ContentType.BYTES) ? "bytes" : type.name());
        byte[] h;
        try {
            h = MAPPER.writeValueAsBytes(header);
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
        byte[] p = m.payloadBytes();
        ByteBuf out = alloc.buffer(4 + h.length + p.length);
        out.writeInt(h.length).writeBytes(h).writeBytes(p);
        return new BinaryWebSocketFrame(out);
    }
}

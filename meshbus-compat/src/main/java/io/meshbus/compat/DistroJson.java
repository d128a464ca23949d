package io.meshbus.compat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.meshbus.codec.CodecException;
import io.meshbus.codec.ContentType;
import io.meshbus.message.Headers;
import io.meshbus.message.Message;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.Map;

/**
 * distro 0.4.0's message format: exactly {@code {"id","headers","payload"}}, UTF-8 JSON, no framing, and its RECEIVED
 * confirmation {@code {"id","headers":{"uri":"RECEIVED"},"payload":{"msgId":"<original id>"}}}.
 */
public final class DistroJson {
    /** The uri of a confirmation. */
    public static final String RECEIVED = "RECEIVED";
    /** Headers asking for a confirmation: where to send it. */
    public static final String ADDRESS = "address";
    public static final String PORT = "port";
    static final ObjectMapper MAPPER = new ObjectMapper();

    private DistroJson() {
    }

    /**
     * The distro JSON of a message. The payload as {@link #payload} gives it: distro has no content type, and a Node
     * reader only sees those three keys. The
     * {@code port} header goes out as a number, as distro writes it.
     */
    public static byte[] encode(Message m) {
        ObjectNode o = MAPPER.createObjectNode();
        o.put("id", m.id().toString());
        ObjectNode h = o.putObject("headers");
        for (Map.Entry<String, String> e : m.headers().asMap().entrySet()) {
            if (e.getKey().equals(PORT) && e.getValue().matches("\\d{1,5}")) {
                h.put(PORT, Integer.parseInt(e.getValue()));
            } else {
                h.put(e.getKey(), e.getValue());
            }
        }
        o.set("payload", payload(m));
        try {
            return MAPPER.writeValueAsBytes(o);
        } catch (IOException e) {
            throw new CodecException("cannot write message " + m.id() + ": " + e.getMessage(), e);
        }
    }

    /**
     * A message's payload as a JSON value. JSON is embedded (an empty JSON payload is {@code null}), text is a JSON
     * string (the empty text stays {@code ""}), and bytes of any other type cross as Node's own JSON of a
     * {@code Buffer}, {@code {"type":"Buffer","data":[...]}}: what a Node peer would have received from another Node
     * peer that sent a Buffer, and what {@link #toPayload} turns back into bytes.
     */
    static JsonNode payload(Message m) {
        byte[] p = m.unsafePayloadArray();
        ContentType ct = m.contentType();
        if (ct.equals(ContentType.TEXT)) {
            return MAPPER.getNodeFactory().textNode(new String(p, StandardCharsets.UTF_8));
        }
        if (ct.equals(ContentType.JSON)) {
            if (p.length == 0) {
                return MAPPER.nullNode();
            }
            try {
                return MAPPER.readTree(p);
            } catch (IOException e) {
                throw new CodecException("payload of message " + m.id() + " is not JSON", e);
            }
        }
        ObjectNode buffer = MAPPER.createObjectNode().put("type", "Buffer");
        ArrayNode data = buffer.putArray("data");
        for (byte b : p) {
            data.add(b & 0xff);
        }
        return buffer;
    }

    /**
     * A Node payload as a value to send on: null, a string, Node's JSON of a {@code Buffer} as bytes (so a Java peer
     * gets a {@code byte[]}, and its echo is the same Buffer again), anything else as JSON.
     */
    static Object toPayload(JsonNode value) {
        if (value == null || value.isNull() || value.isMissingNode()) {
            return null;
        }
        if (value.isTextual()) {
            return value.asText();
        }
        byte[] bytes = bufferBytes(value);
        return bytes != null ? bytes : value;
    }

    /** The bytes of {@code {"type":"Buffer","data":[0..255, ...]}} and nothing more, else null. */
    private static byte[] bufferBytes(JsonNode v) {
        if (!v.isObject() || v.size() != 2 || !"Buffer".equals(v.path("type").asText(null))
                || !v.path("data").isArray()) {
            return null;
        }
        JsonNode data = v.get("data");
        byte[] out = new byte[data.size()];
        for (int i = 0; i < out.length; i++) {
            JsonNode n = data.get(i);
            if (!n.isInt() || n.asInt() < 0 || n.asInt() > 255) {
                return null;
            }
            out[i] = (byte) n.asInt();
        }
        return out;
    }

    /** Parses distro JSON (header values other than strings become their JSON text); throws CodecException. */
    public static Message decode(byte[] json) {
        try {
            return Message.parse(json);
        } catch (IllegalArgumentException e) {
            // Found by fuzzing: Message.parse lets a blank contentType or headers over the Headers limits escape as
            // IllegalArgumentException; for a distro sender that is just another malformed message.
            throw new CodecException("not a distro message: " + e.getMessage(), e);
        }
    }

    /** The confirmation distro's server sends for a message: a new id, uri RECEIVED, payload {msgId}. */
    public static Message received(Message original) {
        return Message.of(Headers.of("uri", RECEIVED), Map.of("msgId", original.id().toString()));
    }

    /** Whether the message is a confirmation, and of which message id (null when it is not one). */
    public static String confirmedId(Message m) {
        if (!RECEIVED.equalsIgnoreCase(m.header("uri"))) {
            return null;
        }
        try {
            JsonNode p = MAPPER.readTree(m.unsafePayloadArray());
            return p != null && p.hasNonNull("msgId") ? p.get("msgId").asText() : null;
        } catch (IOException e) {
            return null;
        }
    }

    /** Where distro would send the confirmation: truthy {@code address} and {@code port} headers, or null. */
    public static InetSocketAddress replyAddress(Message m) {
        String a = m.header(ADDRESS);
        String p = m.header(PORT);
        if (a == null || a.isEmpty() || p == null) {
            return null;
        }
        try {
            int port = Integer.parseInt(p.trim());
            return port > 0 && port < 65536 ? InetSocketAddress.createUnresolved(a, port) : null;
        } catch (NumberFormatException e) {
            return null;
        }
    }
}

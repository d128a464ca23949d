package io.meshbus.message;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.meshbus.codec.CodecException;
import io.meshbus.codec.ContentType;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.Iterator;
import java.util.Map;
import java.util.UUID;

/**
 * The JSON form of a message, distro's: {@code {"id": "<uuid>", "headers": {...}, "payload": ...}}. A JSON payload is
 * embedded as JSON, a text payload as a string; any other content type is named in {@code "contentType"} and its
 * bytes travel as base64. Without {@code "contentType"} the payload is JSON, as in distro's messages.
 */
final class MessageJson {
    private static final ObjectMapper MAPPER = new ObjectMapper();

    private MessageJson() {
    }

    static String toJson(Message m) {
        ObjectNode o = MAPPER.createObjectNode();
        o.put("id", m.id().toString());
        ObjectNode h = o.putObject("headers");
        Headers headers = m.headers();
        for (int i = 0; i < headers.size(); i++) {
            h.put(headers.keyAt(i), headers.valueAt(i));
        }
        byte[] p = m.unsafePayloadArray();
        ContentType ct = m.contentType();
        if (ct.equals(ContentType.JSON)) {
            if (p.length > 0) {
                try {
                    o.set("payload", MAPPER.readTree(p));
                } catch (IOException e) {
                    o.put("contentType", ct.name());
                    o.put("payload", Base64.getEncoder().encodeToString(p));
                }
            }
        } else if (ct.equals(ContentType.TEXT)) {
            o.put("contentType", ct.name());
            o.put("payload", new String(p, StandardCharsets.UTF_8));
        } else {
            o.put("contentType", ct.name());
            o.put("payload", Base64.getEncoder().encodeToString(p));
        }
        return o.toString();
    }

    static Message parse(byte[] json) {
        JsonNode o;
        try {
            o = MAPPER.readTree(json);
        } catch (IOException e) {
            throw new CodecException("not a message: " + e.getMessage(), e);
        }
        if (o == null || !o.isObject()) {
            throw new CodecException("not a message: a JSON object with id, headers and payload is expected", null);
        }
        UUID id;
        try {
            id = o.hasNonNull("id") ? UUID.fromString(o.get("id").asText()) : MessageIds.next();
        } catch (IllegalArgumentException e) {
            throw new CodecException("not a message: id '" + o.get("id").asText() + "' is not a UUID", e);
        }
        Headers.Builder hb = Headers.builder();
        JsonNode h = o.get("headers");
        if (h != null && h.isObject()) {
            for (Iterator<Map.Entry<String, JsonNode>> it = h.fields(); it.hasNext(); ) {
                Map.Entry<String, JsonNode> e = it.next();
                if (!e.getValue().isNull()) {
                    hb.put(e.getKey(), e.getValue().isTextual() ? e.getValue().textValue() : e.getValue().toString());
                }
            }
        }
        JsonNode payload = o.get("payload");
        ContentType ct = o.hasNonNull("contentType") ? ContentType.of(o.get("contentType").asText()) : ContentType.JSON;
        byte[] bytes;
        if (payload == null || payload.isNull() && ct.equals(ContentType.JSON)) {
            bytes = payload == null ? new byte[0] : "null".getBytes(StandardCharsets.UTF_8);
        } else if (ct.equals(ContentType.JSON)) {
            bytes = payload.toString().getBytes(StandardCharsets.UTF_8);
        } else if (ct.equals(ContentType.TEXT)) {
            bytes = payload.asText().getBytes(StandardCharsets.UTF_8);
        } else {
            try {
                bytes = Base64.getDecoder().decode(payload.asText());
            } catch (IllegalArgumentException e) {
                throw new CodecException("not a message: payload of type " + ct + " is not base64", e);
            }
        }
        return Message.adopt(id, hb.build(), ct, bytes);
    }
}

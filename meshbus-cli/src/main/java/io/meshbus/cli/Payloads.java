package io.meshbus.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.meshbus.codec.ContentType;
import io.meshbus.codec.MsgpackCodec;
import io.meshbus.message.Headers;
import io.meshbus.message.Message;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

/** Payloads from an argument, {@code @file} or {@code -} (standard input), encoded with the chosen codec. */
final class Payloads {
    static final ObjectMapper JSON = new ObjectMapper();

    private Payloads() {
    }

    static byte[] read(String arg, InputStream stdin) throws IOException {
        if (arg == null || arg.equals("-")) {
            return stdin.readAllBytes();
        }
        if (arg.startsWith("@")) {
            return Files.readAllBytes(Path.of(arg.substring(1)));
        }
        return arg.getBytes(StandardCharsets.UTF_8);
    }

    /** A message for the payload: json (checked), text, or msgpack (written as JSON on the command line). */
    static Message message(byte[] raw, String codec, Headers headers) {
        switch (codec) {
            case "text":
                return Message.ofBytes(headers, ContentType.TEXT, raw);
            case "json":
            case "msgpack":
                JsonNode tree;
                try {
                    tree = JSON.readTree(raw);
                } catch (IOException e) {
                    String why = e instanceof com.fasterxml.jackson.core.JsonProcessingException j
                            ? j.getOriginalMessage() : e.getMessage();
                    throw new IllegalArgumentException("payload is not JSON (use --codec text for plain text): "
                            + why.lines().findFirst().orElse(""));
                }
                if (codec.equals("json")) {
                    return Message.ofBytes(headers, ContentType.JSON, tree.toString()
                            .getBytes(StandardCharsets.UTF_8));
                }
                return Message.encode(headers, tree, new MsgpackCodec());
            default:
                throw new IllegalArgumentException("--codec: json, msgpack or text, not '" + codec + "'");
        }
    }

    /** One JSON line for a received message: the payload decoded when it is JSON, MessagePack or text. */
    static String line(Map<String, Object> fields, Message m) {
        Map<String, Object> out = new LinkedHashMap<>(fields);
        out.put("payload", value(m));
        try {
            return JSON.writeValueAsString(out);
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    /**
     * A payload as one JSON value: JSON and MessagePack decoded, text as a string, other bytes as a base64 string
     * (JSON has no bytes); an empty JSON payload is null.
     */
    static JsonNode value(Message m) {
        try {
            if (m.contentType().equals(ContentType.JSON) || m.contentType().equals(ContentType.MSGPACK)) {
                return m.payloadSize() == 0 ? JSON.nullNode() : m.decode(JsonNode.class);
            }
            if (m.contentType().equals(ContentType.TEXT)) {
                return JSON.getNodeFactory().textNode(m.payloadText());
            }
            return JSON.getNodeFactory().textNode(java.util.Base64.getEncoder().encodeToString(m.payloadBytes()));
        } catch (RuntimeException e) {
            return JSON.getNodeFactory().textNode(m.payloadText());
        }
    }

    /** The inverse of {@link #value} for what arrives as JSON: a string is text, anything else JSON. */
    static Message ofValue(Headers headers, JsonNode v) {
        if (v != null && v.isTextual()) {
            return Message.ofBytes(headers, ContentType.TEXT, v.asText().getBytes(StandardCharsets.UTF_8));
        }
        return Message.ofBytes(headers, ContentType.JSON, String.valueOf(v == null ? JSON.nullNode() : v)
                .getBytes(StandardCharsets.UTF_8));
    }
}

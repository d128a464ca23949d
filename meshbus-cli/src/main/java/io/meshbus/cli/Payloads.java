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
        Object payload;
        try {
            if (m.contentType().equals(ContentType.JSON) || m.contentType().equals(ContentType.MSGPACK)) {
                payload = m.decode(JsonNode.class);
            } else if (m.contentType().equals(ContentType.TEXT)) {
                payload = m.payloadText();
            } else {
                payload = java.util.Base64.getEncoder().encodeToString(m.payloadBytes());
            }
        } catch (RuntimeException e) {
            payload = m.payloadText();
        }
        out.put("payload", payload);
        try {
            return JSON.writeValueAsString(out);
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }
}

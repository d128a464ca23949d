package io.meshbus.compat;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import java.io.IOException;
import java.nio.charset.StandardCharsets;

/**
 * masterless 0.4.1's records, byte for byte: one JSON value ended by CRLF. The handshake's records are
 * {@code {"id","info"}} (the dialler's hello), {@code {"id"}} (the answer), {@code {"priority":p}} ({@code 0} aborts),
 * {@code {"confirm":true}}; a link then carries {@code [keep]} flags, {@code true} heartbeats and application
 * objects.
 *
 * <p>Threads: stateless; any thread.
 */
final class MasterlessRecords {
    private static final byte[] CRLF = {'\r', '\n'};
    private static final byte[] HEARTBEAT = "true\r\n".getBytes(StandardCharsets.US_ASCII);

    private MasterlessRecords() {
    }

    /** An application packet: a JSON object (an ObjectNode, a Map or a bean), as masterless requires. */
    static ByteBuf packet(Object packet) {
        JsonNode j = packet instanceof JsonNode n ? n : DistroJson.MAPPER.valueToTree(packet);
        if (j == null || !j.isObject()) {
            throw new IllegalArgumentException("expected object packet");
        }
        try {
            byte[] json = DistroJson.MAPPER.writeValueAsBytes(j);
            return Unpooled.buffer(json.length + 2).writeBytes(json).writeBytes(CRLF);
        } catch (JsonProcessingException e) {
            throw new IllegalArgumentException("cannot encode packet: " + e.getMessage(), e);
        }
    }

    /** The dialler's first record: its id and where it listens, so the other side can re-dial it. */
    static ByteBuf hello(String id, String info) {
        return record(DistroJson.MAPPER.createObjectNode().put("id", id).put("info", info).toString());
    }

    /** The answer to a hello: the id alone (the dialler knows the address it dialled). */
    static ByteBuf id(String id) {
        return record(DistroJson.MAPPER.createObjectNode().put("id", id).toString());
    }

    /** A dialler's bid in the race between crossing dials. */
    static ByteBuf priority(double priority) {
        return record("{\"priority\":" + priority + "}");
    }

    /** What a dialler sends before it drops a connection it does not want (masterless writes the 0 as is). */
    static ByteBuf abort() {
        return record("{\"priority\":0}");
    }

    static ByteBuf confirm() {
        return record("{\"confirm\":true}");
    }

    /** Whether this side keeps the link (each side says so once the link is up, and again when it changes). */
    static ByteBuf keep(boolean keep) {
        return record(keep ? "[true]" : "[false]");
    }

    static ByteBuf heartbeat() {
        return Unpooled.wrappedBuffer(HEARTBEAT);
    }

    private static ByteBuf record(String json) {
        return Unpooled.copiedBuffer(json + "\r\n", StandardCharsets.UTF_8);
    }

    /** One line without its CRLF (as the line decoder hands it over); null for an empty line. */
    static JsonNode parse(ByteBuf line) throws IOException {
        byte[] bytes = ByteBufUtil.getBytes(line);
        return bytes.length == 0 ? null : DistroJson.MAPPER.readTree(bytes);
    }

    /** A hello or its answer: an object with an id. */
    static boolean isId(JsonNode r) {
        return r.isObject() && r.hasNonNull("id");
    }

    static boolean isPriority(JsonNode r) {
        return r.isObject() && r.path("priority").isNumber();
    }

    static boolean isConfirm(JsonNode r) {
        return r.isObject() && r.path("confirm").asBoolean(false);
    }

    /** {@code true}: ignored in every phase, as masterless ignores it. */
    static boolean isHeartbeat(JsonNode r) {
        return r.isBoolean() && r.booleanValue();
    }
}

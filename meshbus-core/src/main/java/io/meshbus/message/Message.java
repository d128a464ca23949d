package io.meshbus.message;

import io.meshbus.codec.Codec;
import io.meshbus.codec.Codecs;
import io.meshbus.codec.ContentType;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Objects;
import java.util.UUID;

/**
 * An immutable message: a 128-bit id, headers, and a payload held as bytes with its content type. The payload is
 * encoded once, when the message is made, and decoded only when the receiving code asks for it
 * ({@link #decode(Class)}): a node that forwards a message never touches its payload.
 */
public final class Message {
    private static final byte[] NO_BYTES = new byte[0];

    private final UUID id;
    private final Headers headers;
    private final ContentType contentType;
    private final byte[] payload;

    private Message(UUID id, Headers headers, ContentType contentType, byte[] payload) {
        this.id = id;
        this.headers = headers;
        this.contentType = contentType;
        this.payload = payload;
    }

    /** A message with a new id and the payload encoded by the standard type rule (see {@link Codecs}). */
    public static Message of(Object payload) {
        return of(Headers.EMPTY, payload);
    }

    /** A message with a new id, the given headers and the payload encoded by the standard type rule. */
    public static Message of(Headers headers, Object payload) {
        return encode(headers, payload, Codecs.standard().forValue(payload));
    }

    /** A message with a new id whose payload is encoded with the given codec. */
    public static Message encode(Headers headers, Object payload, Codec codec) {
        return new Message(MessageIds.next(), Objects.requireNonNull(headers, "headers"), codec.contentType(),
                payload == null ? NO_BYTES : codec.encode(payload));
    }

    /** A message with a new id and a payload that is already encoded; the bytes are copied. */
    public static Message ofBytes(Headers headers, ContentType contentType, byte[] payload) {
        return new Message(MessageIds.next(), Objects.requireNonNull(headers, "headers"),
                Objects.requireNonNull(contentType, "contentType"), payload.clone());
    }

    /**
     * Builds a message from parts without copying the payload: the caller hands the array over and must not touch it
     * again. Used by decoders, which own freshly read bytes.
     */
    public static Message adopt(UUID id, Headers headers, ContentType contentType, byte[] payload) {
        return new Message(Objects.requireNonNull(id, "id"), Objects.requireNonNull(headers, "headers"),
                Objects.requireNonNull(contentType, "contentType"), Objects.requireNonNull(payload, "payload"));
    }

    public UUID id() {
        return id;
    }

    public Headers headers() {
        return headers;
    }

    /** A header's value, or null. */
    public String header(String key) {
        return headers.get(key);
    }

    public ContentType contentType() {
        return contentType;
    }

    /** The payload bytes as a read-only view (no copy). */
    public ByteBuffer payload() {
        return ByteBuffer.wrap(payload).asReadOnlyBuffer();
    }

    /** A copy of the payload bytes. */
    public byte[] payloadBytes() {
        return payload.clone();
    }

    public int payloadSize() {
        return payload.length;
    }

    /** The payload as UTF-8 text, whatever its content type (handy for logs and text payloads). */
    public String payloadText() {
        return new String(payload, StandardCharsets.UTF_8);
    }

    /** Decodes the payload with the standard codec for its content type. */
    public <T> T decode(Class<T> type) {
        return decode(type, Codecs.standard());
    }

    /** Decodes the payload with the given codec set's codec for its content type. */
    public <T> T decode(Class<T> type, Codecs codecs) {
        return codecs.forType(contentType).decode(payload, 0, payload.length, type);
    }

    /** A copy with one header set or removed; same id and payload. */
    public Message withHeader(String key, String value) {
        return new Message(id, headers.with(key, value), contentType, payload);
    }

    /** A copy with other headers; same id and payload. */
    public Message withHeaders(Headers newHeaders) {
        return new Message(id, Objects.requireNonNull(newHeaders, "headers"), contentType, payload);
    }

    /**
     * Hands the payload array to a writer without a copy. Package-private by intent would be ideal, but the wire
     * layer lives in another package; it promises not to modify the array.
     */
    public byte[] unsafePayloadArray() {
        return payload;
    }

    /** Parses the JSON form ({@link #toString()}), distro's messages included; throws CodecException. */
    public static Message parse(String json) {
        return MessageJson.parse(json.getBytes(StandardCharsets.UTF_8));
    }

    /** Parses the JSON form from UTF-8 bytes ({@link #toBytes()}). */
    public static Message parse(byte[] json) {
        return MessageJson.parse(json);
    }

    /** The JSON form as UTF-8 bytes; {@link #parse(byte[])} gives the same message back. */
    public byte[] toBytes() {
        return toString().getBytes(StandardCharsets.UTF_8);
    }

    /**
     * The JSON form, distro's: {@code {"id","headers","payload"}} (plus {@code "contentType"} when the payload is not
     * JSON; binary payloads travel as base64). {@link #parse(String)} gives the same message back.
     */
    @Override
    public String toString() {
        return MessageJson.toJson(this);
    }
}

package io.meshbus.codec;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.math.BigInteger;
import java.util.Iterator;
import java.util.Map;
import org.msgpack.core.MessageBufferPacker;
import org.msgpack.core.MessagePack;
import org.msgpack.core.MessagePacker;
import org.msgpack.core.MessageUnpacker;
import org.msgpack.value.ValueType;

/**
 * MessagePack through msgpack-core. Objects map to the same data model as JSON (Jackson does the object binding, so a
 * type that encodes as JSON encodes as MessagePack), with binary values kept binary instead of base64.
 */
public final class MsgpackCodec implements Codec {
    private static final JsonNodeFactory NODES = JsonNodeFactory.instance;
    private final ObjectMapper mapper;

    public MsgpackCodec() {
        this(JsonCodec.DEFAULT_MAPPER);
    }

    public MsgpackCodec(ObjectMapper mapper) {
        this.mapper = mapper;
    }

    @Override
    public ContentType contentType() {
        return ContentType.MSGPACK;
    }

    @Override
    public byte[] encode(Object value) {
        try (MessageBufferPacker packer = MessagePack.newDefaultBufferPacker()) {
            JsonNode tree = value instanceof JsonNode n ? n : mapper.valueToTree(value);
            pack(packer, tree);
            return packer.toByteArray();
        } catch (IOException | IllegalArgumentException e) {
            throw new CodecException("cannot encode " + JsonCodec.typeName(value) + " as MessagePack: "
                    + e.getMessage(), e);
        }
    }

    @Override
    public <T> T decode(byte[] bytes, int offset, int length, Class<T> type) {
        try (MessageUnpacker unpacker = MessagePack.newDefaultUnpacker(bytes, offset, length)) {
            JsonNode tree = unpack(unpacker, 0, length);
            if (unpacker.hasNext()) {
                throw new IOException("trailing bytes after the first value");
            }
            return type == JsonNode.class ? type.cast(tree) : mapper.treeToValue(tree, type);
        } catch (IOException | RuntimeException e) {
            throw new CodecException("cannot decode MessagePack as " + type.getName() + ": " + e.getMessage(), e);
        }
    }

    private static void pack(MessagePacker p, JsonNode n) throws IOException {
        switch (n.getNodeType()) {
            case NULL, MISSING -> p.packNil();
            case BOOLEAN -> p.packBoolean(n.booleanValue());
            case NUMBER -> {
                if (n.isBigInteger()) {
                    p.packBigInteger(n.bigIntegerValue());
                } else if (n.isIntegralNumber()) {
                    p.packLong(n.longValue());
                } else if (n.isFloat()) {
                    p.packFloat(n.floatValue());
                } else {
                    p.packDouble(n.doubleValue());
                }
            }
            case STRING -> p.packString(n.textValue());
            case BINARY -> {
                byte[] b = n.binaryValue();
                p.packBinaryHeader(b.length);
                p.writePayload(b);
            }
            case ARRAY -> {
                p.packArrayHeader(n.size());
                for (JsonNode e : n) {
                    pack(p, e);
                }
            }
            case OBJECT -> {
                p.packMapHeader(n.size());
                for (Iterator<Map.Entry<String, JsonNode>> it = n.fields(); it.hasNext(); ) {
                    Map.Entry<String, JsonNode> e = it.next();
                    p.packString(e.getKey());
                    pack(p, e.getValue());
                }
            }
            case POJO -> throw new IOException("unsupported POJO node " + n);
        }
    }

    /**
     * Depth-limited so a hostile payload of nested arrays cannot exhaust the stack, and every declared length checked
     * against the bytes that are left, so a few bytes cannot make it allocate gigabytes (a fuzzer found that one).
     */
    private static JsonNode unpack(MessageUnpacker u, int depth, int length) throws IOException {
        if (depth > 512) {
            throw new IOException("nesting deeper than 512");
        }
        ValueType t = u.getNextFormat().getValueType();
        switch (t) {
            case NIL:
                u.unpackNil();
                return NODES.nullNode();
            case BOOLEAN:
                return NODES.booleanNode(u.unpackBoolean());
            case INTEGER:
                BigInteger bi = u.unpackBigInteger();
                // Same number types as Jackson's JSON parser gives, so a map decodes alike from either codec.
                if (bi.bitLength() < 32) {
                    return NODES.numberNode(bi.intValue());
                }
                return bi.bitLength() < 64 ? NODES.numberNode(bi.longValue()) : NODES.numberNode(bi);
            case FLOAT:
                return NODES.numberNode(u.unpackDouble());
            case STRING: {
                int n = fits(u, u.unpackRawStringHeader(), length, "string");
                return NODES.textNode(new String(u.readPayload(n), java.nio.charset.StandardCharsets.UTF_8));
            }
            case BINARY:
                return NODES.binaryNode(u.readPayload(fits(u, u.unpackBinaryHeader(), length, "binary")));
            case ARRAY: {
                int n = fits(u, u.unpackArrayHeader(), length, "array");
                ArrayNode a = NODES.arrayNode();
                for (int i = 0; i < n; i++) {
                    a.add(unpack(u, depth + 1, length));
                }
                return a;
            }
            case MAP: {
                int n = fits(u, u.unpackMapHeader(), length, "map");
                ObjectNode o = NODES.objectNode();
                for (int i = 0; i < n; i++) {
                    JsonNode k = unpack(u, depth + 1, length);
                    if (k.isContainerNode()) {
                        // Objects have text keys; turning a nested key into its JSON text would let each level
                        // escape the one below and grow the text exponentially (a fuzzer found that one too).
                        throw new IOException("map key is an array or a map; keys must be scalars");
                    }
                    o.set(k.isTextual() ? k.textValue() : k.asText(), unpack(u, depth + 1, length));
                }
                return o;
            }
            default:
                throw new IOException("unsupported MessagePack type " + t);
        }
    }

    /** A declared size must fit in the bytes left (each element or byte takes at least one). */
    private static int fits(MessageUnpacker u, int declared, int length, String what) throws IOException {
        long left = length - u.getTotalReadBytes();
        if (declared < 0 || declared > left) {
            throw new IOException(what + " declares " + Integer.toUnsignedString(declared) + " but only " + left
                    + " bytes are left");
        }
        return declared;
    }
}

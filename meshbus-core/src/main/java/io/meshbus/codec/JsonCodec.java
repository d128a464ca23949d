package io.meshbus.codec;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import java.io.IOException;
import java.util.Objects;

/** JSON through Jackson. The default codec for objects. */
public final class JsonCodec implements Codec {
    static final ObjectMapper DEFAULT_MAPPER = JsonMapper.builder().findAndAddModules().build();

    private final ObjectMapper mapper;

    public JsonCodec() {
        this(DEFAULT_MAPPER);
    }

    /** A JSON codec with the caller's mapper (modules, naming strategy, ...). */
    public JsonCodec(ObjectMapper mapper) {
        this.mapper = Objects.requireNonNull(mapper, "mapper");
    }

    @Override
    public ContentType contentType() {
        return ContentType.JSON;
    }

    @Override
    public byte[] encode(Object value) {
        try {
            return mapper.writeValueAsBytes(value);
        } catch (IOException e) {
            throw new CodecException("cannot encode " + typeName(value) + " as JSON: " + e.getMessage(), e);
        }
    }

    @Override
    public <T> T decode(byte[] bytes, int offset, int length, Class<T> type) {
        try {
            return mapper.readValue(bytes, offset, length, type);
        } catch (IOException e) {
            throw new CodecException("cannot decode JSON as " + type.getName() + ": " + e.getMessage(), e);
        }
    }

    static String typeName(Object value) {
        return value == null ? "null" : value.getClass().getName();
    }
}

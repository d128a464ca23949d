package io.meshbus.codec;

import java.util.Locale;
import java.util.Objects;

/**
 * The content type of a payload. The four built-in types travel on the wire as one byte ({@link #wireCode()}); any
 * other type travels as its name.
 *
 * @param name the MIME-style name, lower case
 * @param wireCode 1..4 for the built-in types, 0 for a type that travels by name
 */
public record ContentType(String name, int wireCode) {
    public static final ContentType JSON = new ContentType("application/json", 1);
    public static final ContentType MSGPACK = new ContentType("application/msgpack", 2);
    public static final ContentType TEXT = new ContentType("text/plain", 3);
    public static final ContentType BYTES = new ContentType("application/octet-stream", 4);

    private static final ContentType[] BY_CODE = {null, JSON, MSGPACK, TEXT, BYTES};

    public ContentType {
        Objects.requireNonNull(name, "name");
        if (name.isEmpty() || name.length() > 255) {
            throw new IllegalArgumentException("name: must be 1..255 characters, was " + name.length());
        }
    }

    /** The built-in type with that name, or a new by-name type. */
    public static ContentType of(String name) {
        String n = Objects.requireNonNull(name, "name").trim().toLowerCase(Locale.ROOT);
        for (int i = 1; i < BY_CODE.length; i++) {
            if (BY_CODE[i].name.equals(n)) {
                return BY_CODE[i];
            }
        }
        return new ContentType(n, 0);
    }

    /** The built-in type for a wire code, or null when the code is not one. */
    public static ContentType ofWireCode(int code) {
        return code > 0 && code < BY_CODE.length ? BY_CODE[code] : null;
    }

    @Override
    public String toString() {
        return name;
    }
}

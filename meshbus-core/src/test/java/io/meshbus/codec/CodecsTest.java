package io.meshbus.codec;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class CodecsTest {
    public record Order(String sku, int qty, List<String> tags) {
    }

    @Test
    void shouldPickACodecByTheValueType() {
        Codecs c = Codecs.standard();
        assertThat(c.forValue(new byte[0]).contentType()).isEqualTo(ContentType.BYTES);
        assertThat(c.forValue(ByteBuffer.allocate(1)).contentType()).isEqualTo(ContentType.BYTES);
        assertThat(c.forValue("text").contentType()).isEqualTo(ContentType.TEXT);
        assertThat(c.forValue(Map.of()).contentType()).isEqualTo(ContentType.JSON);
        assertThat(Codecs.withDefault(new MsgpackCodec()).forValue(Map.of()).contentType())
                .isEqualTo(ContentType.MSGPACK);
    }

    @Test
    void shouldRoundTripObjectsThroughJsonAndMsgpack() {
        Order o = new Order("a1", 2, List.of("x", "y"));
        for (Codec codec : List.of(new JsonCodec(), new MsgpackCodec())) {
            byte[] bytes = codec.encode(o);
            assertThat(codec.decode(bytes, 0, bytes.length, Order.class)).isEqualTo(o);
        }
        byte[] json = new JsonCodec().encode(o);
        assertThat(new String(json, StandardCharsets.UTF_8))
                .isEqualTo("{\"sku\":\"a1\",\"qty\":2,\"tags\":[\"x\",\"y\"]}");
    }

    @Test
    void shouldKeepMsgpackTypesFaithful() {
        MsgpackCodec c = new MsgpackCodec();
        Map<String, Object> v = Map.of("big", Long.MAX_VALUE, "neg", -5, "f", 1.5, "b", true, "n", List.of());
        byte[] bytes = c.encode(v);
        JsonNode back = c.decode(bytes, 0, bytes.length, JsonNode.class);
        assertThat(back.get("big").longValue()).isEqualTo(Long.MAX_VALUE);
        assertThat(back.get("neg").intValue()).isEqualTo(-5);
        assertThat(back.get("f").doubleValue()).isEqualTo(1.5);
        assertThat(back.get("b").booleanValue()).isTrue();
        byte[] bin = c.encode(new byte[] {1, 2, 3});
        assertThat(bin[0] & 0xff).as("bin8 format, not a base64 string").isEqualTo(0xc4);
    }

    @Test
    void shouldFailWithACodecExceptionOnBadBytes() {
        byte[] bad = "{not json".getBytes(StandardCharsets.UTF_8);
        assertThatThrownBy(() -> new JsonCodec().decode(bad, 0, bad.length, Map.class))
                .isInstanceOf(CodecException.class).hasMessageContaining("cannot decode JSON");
        byte[] truncated = {(byte) 0x92, 0x01};
        assertThatThrownBy(() -> new MsgpackCodec().decode(truncated, 0, 2, Object.class))
                .isInstanceOf(CodecException.class);
        byte[] deep = new byte[2000];
        java.util.Arrays.fill(deep, (byte) 0x91);
        assertThatThrownBy(() -> new MsgpackCodec().decode(deep, 0, deep.length, Object.class))
                .isInstanceOf(CodecException.class).hasMessageContaining("nesting");
    }

    @Test
    void shouldHandleTextAndBytes() {
        byte[] t = new TextCodec().encode("héllo");
        assertThat(new TextCodec().decode(t, 0, t.length, String.class)).isEqualTo("héllo");
        byte[] raw = {9, 8, 7};
        byte[] enc = new BytesCodec().encode(raw);
        raw[0] = 0;
        assertThat(new BytesCodec().decode(enc, 1, 2, byte[].class)).containsExactly(8, 7);
        assertThatThrownBy(() -> new BytesCodec().encode("no")).isInstanceOf(CodecException.class);
    }

    @Test
    void shouldNameUnknownContentTypes() {
        assertThat(ContentType.of("APPLICATION/JSON")).isSameAs(ContentType.JSON);
        ContentType custom = ContentType.of("application/x-proto");
        assertThat(custom.wireCode()).isZero();
        assertThatThrownBy(() -> Codecs.standard().forType(custom)).isInstanceOf(CodecException.class)
                .hasMessageContaining("application/x-proto");
    }

    @Test
    void shouldRefuseMsgpackThatDeclaresMoreThanItCarriesOrNestsMapKeys() {
        // bin32 declaring 2 GiB in a 6-byte input: refused without allocating it.
        byte[] bomb = {(byte) 0xc6, 0x7f, (byte) 0xff, (byte) 0xff, (byte) 0xff, 0x00};
        assertThatThrownBy(() -> new MsgpackCodec().decode(bomb, 0, bomb.length, Object.class))
                .isInstanceOf(CodecException.class).hasMessageContaining("bytes are left");
        // {{}: 1}: a map as a map key (nested, its JSON text would grow exponentially with depth).
        byte[] mapKey = {(byte) 0x81, (byte) 0x80, 0x01};
        assertThatThrownBy(() -> new MsgpackCodec().decode(mapKey, 0, mapKey.length, Object.class))
                .isInstanceOf(CodecException.class).hasMessageContaining("keys must be scalars");
        byte[] intKey = {(byte) 0x81, 0x07, (byte) 0xa1, 'x'};
        assertThat(new MsgpackCodec().decode(intKey, 0, intKey.length, Map.class)).containsEntry("7", "x");
    }
}

package io.meshbus.message;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.meshbus.codec.ContentType;
import io.meshbus.codec.MsgpackCodec;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import org.junit.jupiter.api.Test;

class MessageTest {
    @Test
    void shouldGenerateVersion4IdsThatDoNotRepeat() {
        Set<UUID> ids = new HashSet<>();
        for (int i = 0; i < 100_000; i++) {
            UUID id = Message.of("x").id();
            assertThat(id.version()).isEqualTo(4);
            assertThat(id.variant()).isEqualTo(2);
            ids.add(id);
        }
        assertThat(ids).hasSize(100_000);
    }

    @Test
    void shouldKeepThePayloadImmutable() {
        byte[] src = {1, 2, 3};
        Message m = Message.ofBytes(Headers.EMPTY, ContentType.BYTES, src);
        src[0] = 9;
        assertThat(m.payloadBytes()).containsExactly(1, 2, 3);
        m.payloadBytes()[1] = 9;
        assertThat(m.payloadBytes()).containsExactly(1, 2, 3);
        assertThat(m.payload().isReadOnly()).isTrue();
    }

    @Test
    void shouldDecodeOnlyOnRequestWithTheCodecOfItsContentType() {
        Message json = Message.of(Map.of("a", 1));
        assertThat(json.contentType()).isEqualTo(ContentType.JSON);
        assertThat(json.decode(Map.class)).containsEntry("a", 1);
        Message packed = Message.encode(Headers.EMPTY, Map.of("a", 1), new MsgpackCodec());
        assertThat(packed.contentType()).isEqualTo(ContentType.MSGPACK);
        assertThat(packed.decode(Map.class)).containsEntry("a", 1);
        assertThat(Message.of("text").decode(String.class)).isEqualTo("text");
    }

    @Test
    void shouldCopyWithHeadersAndKeepTheId() {
        Message m = Message.of(Headers.of(Headers.URI, "/a"), "p");
        Message n = m.withHeader(Headers.VERB, "POST").withHeader(Headers.URI, null);
        assertThat(n.id()).isEqualTo(m.id());
        assertThat(n.headers().asMap()).containsExactly(Map.entry(Headers.VERB, "POST"));
        assertThat(m.header(Headers.URI)).isEqualTo("/a");
    }

    @Test
    void shouldBoundHeaders() {
        assertThatThrownBy(() -> Headers.of("k", "v".repeat(Headers.MAX_LENGTH + 1)))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("value");
        Headers.Builder b = Headers.builder();
        for (int i = 0; i <= Headers.MAX_COUNT; i++) {
            b.put("k" + i, "v");
        }
        assertThatThrownBy(b::build).hasMessageContaining("at most 255");
    }

    @Test
    void shouldParseVerbsLikeDistro() {
        assertThat(Verb.parse(null)).isEqualTo(Verb.GET);
        assertThat(Verb.parse("post")).isEqualTo(Verb.POST);
        assertThat(Verb.parse("del")).isEqualTo(Verb.DELETE);
        assertThatThrownBy(() -> Verb.parse("brew")).hasMessageContaining("not one of");
    }

    @Test
    void shouldRoundTripItsJsonFormAndReadDistroMessages() {
        Message json = Message.of(Headers.builder().put(Headers.URI, "/orders/").put(Headers.VERB, "post").build(),
                Map.of("sku", "a1", "qty", 2));
        Message text = Message.of(Headers.of("k", "v"), "héllo");
        Message bin = Message.ofBytes(Headers.EMPTY, ContentType.BYTES, new byte[] {0, 1, (byte) 255});
        for (Message m : new Message[] {json, text, bin}) {
            Message back = Message.parse(m.toString());
            assertThat(back.id()).isEqualTo(m.id());
            assertThat(back.headers()).isEqualTo(m.headers());
            assertThat(back.contentType()).isEqualTo(m.contentType());
            assertThat(back.payloadBytes()).isEqualTo(m.payloadBytes());
            assertThat(Message.parse(m.toBytes()).id()).isEqualTo(m.id());
        }
        Message distro = Message.parse("{\"id\":\"3cd779af-6af0-47c1-864a-876fd21b6c5b\",\"headers\":{\"uri\":"
                + "\"/orders/\",\"verb\":\"post\",\"address\":\"127.0.0.1\",\"port\":47001},"
                + "\"payload\":{\"sku\":\"a1\",\"qty\":2}}");
        assertThat(distro.id().toString()).isEqualTo("3cd779af-6af0-47c1-864a-876fd21b6c5b");
        assertThat(distro.header("port")).isEqualTo("47001");
        assertThat(distro.decode(Map.class)).isEqualTo(Map.of("sku", "a1", "qty", 2));
        assertThatThrownBy(() -> Message.parse("[1,2]")).isInstanceOf(io.meshbus.codec.CodecException.class);
        assertThatThrownBy(() -> Message.parse("{\"id\":\"nope\"}")).hasMessageContaining("not a UUID");
    }
}

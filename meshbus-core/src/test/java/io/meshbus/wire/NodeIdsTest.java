package io.meshbus.wire;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.meshbus.error.ProtocolViolationException;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import org.junit.jupiter.api.Test;

/** The node id rule, and the decoder's refusal of ids that are not valid UTF-8. */
class NodeIdsTest {
    @Test
    void shouldTakeOneToTenTwentyFourCharactersOfValidUnicode() {
        assertThat(NodeIds.problem("a")).isNull();
        assertThat(NodeIds.problem("x".repeat(1024))).isNull();
        assertThat(NodeIds.problem("h\u00f4te-\uD83D\uDE00")).as("a surrogate pair is one code point").isNull();
        assertThat(NodeIds.problem("")).contains("empty");
        assertThat(NodeIds.problem("x".repeat(1025))).contains("at most 1024").contains("1025");
        assertThat(NodeIds.problem("a\uD800b")).contains("unpaired surrogate at index 1");
        assertThat(NodeIds.problem("a\uDC00")).contains("unpaired");
        assertThat(NodeIds.problem("a\uD800")).contains("unpaired");
    }

    @Test
    void shouldRefuseAHelloWhoseIdIsNotValidUtf8() {
        ByteBuf b = Unpooled.buffer();
        b.writeByte(Protocol.HELLO).writeInt(Protocol.MAGIC).writeShort(Protocol.VERSION).writeByte(0).writeLong(1);
        b.writeShort(3).writeBytes(new byte[] {'a', (byte) 0xC3, 'b'}); // 0xC3 must be followed by a continuation
        b.writeShort(0).writeShort(0);
        assertThatThrownBy(() -> WireFormat.read(b, b.readableBytes()))
                .isInstanceOf(ProtocolViolationException.class).hasMessage("HELLO id is not valid UTF-8");
    }

    @Test
    void shouldRefuseAnIdEncodingASurrogate() {
        ByteBuf b = Unpooled.buffer();
        b.writeByte(Protocol.ACCEPT).writeByte(0).writeLong(1);
        b.writeShort(3).writeBytes(new byte[] {(byte) 0xED, (byte) 0xA0, (byte) 0x80}); // U+D800 as CESU-8
        b.writeShort(0);
        assertThatThrownBy(() -> WireFormat.read(b, b.readableBytes()))
                .isInstanceOf(ProtocolViolationException.class).hasMessage("ACCEPT id is not valid UTF-8");
    }
}

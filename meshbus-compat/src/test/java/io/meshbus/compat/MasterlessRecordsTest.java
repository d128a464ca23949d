package io.meshbus.compat;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** masterless's records byte for byte, and how the handshake tells them apart. */
class MasterlessRecordsTest {
    private static String text(ByteBuf b) {
        try {
            return b.toString(StandardCharsets.UTF_8);
        } finally {
            b.release();
        }
    }

    private static JsonNode parse(String line) throws IOException {
        return MasterlessRecords.parse(Unpooled.copiedBuffer(line, StandardCharsets.UTF_8));
    }

    @Test
    void shouldWriteTheHandshakeRecordsAsMasterlessDoes() {
        assertThat(text(MasterlessRecords.hello("a", "tcp://127.0.0.1:1"))).isEqualTo(
                "{\"id\":\"a\",\"info\":\"tcp://127.0.0.1:1\"}\r\n");
        assertThat(text(MasterlessRecords.id("a"))).isEqualTo("{\"id\":\"a\"}\r\n");
        assertThat(text(MasterlessRecords.priority(0.5))).isEqualTo("{\"priority\":0.5}\r\n");
        assertThat(text(MasterlessRecords.abort())).isEqualTo("{\"priority\":0}\r\n");
        assertThat(text(MasterlessRecords.confirm())).isEqualTo("{\"confirm\":true}\r\n");
        assertThat(text(MasterlessRecords.keep(true))).isEqualTo("[true]\r\n");
        assertThat(text(MasterlessRecords.keep(false))).isEqualTo("[false]\r\n");
        assertThat(text(MasterlessRecords.heartbeat())).isEqualTo("true\r\n");
    }

    @Test
    void shouldEncodeObjectPacketsOnlyAndEndThemWithCrlf() {
        assertThat(text(MasterlessRecords.packet(Map.of("n", 1)))).isEqualTo("{\"n\":1}\r\n");
        assertThatThrownBy(() -> MasterlessRecords.packet(List.of(1))).isInstanceOf(IllegalArgumentException.class)
                .hasMessage("expected object packet");
        assertThatThrownBy(() -> MasterlessRecords.packet("text")).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void shouldTellTheRecordsApart() throws IOException {
        assertThat(parse("")).isNull();
        assertThat(MasterlessRecords.isId(parse("{\"id\":\"a\"}"))).isTrue();
        assertThat(MasterlessRecords.isId(parse("{\"id\":null}"))).isFalse();
        assertThat(MasterlessRecords.isPriority(parse("{\"priority\":0}"))).isTrue();
        assertThat(MasterlessRecords.isPriority(parse("{\"priority\":\"1\"}"))).isFalse();
        assertThat(MasterlessRecords.isConfirm(parse("{\"confirm\":true}"))).isTrue();
        assertThat(MasterlessRecords.isConfirm(parse("{\"confirm\":false}"))).isFalse();
        assertThat(MasterlessRecords.isHeartbeat(parse("true"))).isTrue();
        assertThat(MasterlessRecords.isHeartbeat(parse("false"))).isFalse();
        assertThatThrownBy(() -> parse("{not json")).isInstanceOf(IOException.class);
    }
}

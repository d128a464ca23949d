package io.meshbus.bus.protocol;

import static org.assertj.core.api.Assertions.assertThat;

import io.meshbus.message.Message;
import java.nio.ByteBuffer;
import java.util.List;
import org.junit.jupiter.api.Test;

class BusOpsTest {
    @Test
    void shouldReadSequenceNumbersAndRefuseMalformedOnes() {
        assertThat(BusOps.seq("s42", 1)).isEqualTo(42);
        assertThat(BusOps.seq("dl7", 2)).isEqualTo(7);
        assertThat(BusOps.seq("s" + Long.MAX_VALUE, 1)).isEqualTo(Long.MAX_VALUE);
        assertThat(BusOps.seq("s", 1)).isEqualTo(-1);
        assertThat(BusOps.seq("s4x2", 1)).isEqualTo(-1);
        assertThat(BusOps.seq("s-1", 1)).isEqualTo(-1);
        // Past Long.MAX_VALUE: refused, not wrapped round to some other operation's number.
        assertThat(BusOps.seq("s9999999999999999999", 1)).isEqualTo(-1);
        assertThat(BusOps.seq("s12345678901234567890", 1)).isEqualTo(-1);
    }

    @Test
    void shouldNameTheAnswerOfAnOpByItsSecondLetter() {
        assertThat(BusOps.answerOf("dl12")).isEqualTo("dL12");
        assertThat(BusOps.answerOf("pl3")).isEqualTo("pL3");
        assertThat(BusOps.answerOf("ca9")).isEqualTo(BusOps.INTEREST_ADDED + "9");
    }

    @Test
    void shouldCarryPeerIdsAndIgnoreATruncatedTail() {
        Message m = BusOps.ids(BusOps.REGISTER, List.of("alice", "bøb", ""));
        assertThat(m.headers().get(BusOps.OP)).isEqualTo("dr");
        byte[] body = m.payloadBytes();
        assertThat(BusOps.ids(ByteBuffer.wrap(body))).containsExactly("alice", "bøb", "");

        ByteBuffer cut = ByteBuffer.wrap(body, 0, body.length - 6);
        assertThat(BusOps.ids(cut)).containsExactly("alice");
        ByteBuffer lying = ByteBuffer.allocate(8).putInt(1_000_000).putInt(0).flip();
        assertThat(BusOps.ids(lying)).isEmpty();
    }
}

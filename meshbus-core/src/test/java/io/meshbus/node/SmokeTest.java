package io.meshbus.node;

import static org.assertj.core.api.Assertions.assertThat;

import io.meshbus.message.Message;
import org.junit.jupiter.api.Test;

class SmokeTest {
    @Test
    void shouldExchangeMessagesOverTcp() throws Exception {
        try (Nodes nodes = new Nodes("tcp")) {
            Node a = nodes.start("a");
            Node b = nodes.start("b");
            Nodes.Recorder rb = Nodes.record(b);
            assertThat(a.connect(b.info()).join()).isEqualTo("b");
            assertThat(a.send("b", Message.of("hello"))).isEqualTo(SendStatus.SENT);
            assertThat(rb.nextMessage().message().payloadText()).isEqualTo("hello");
        }
    }
}

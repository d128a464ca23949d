package io.meshbus.node;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

/** Options are checked when a node is built, before anything listens or dials. */
class NodeOptionsTest {
    @Test
    void shouldRefuseToBuildANodeWithAnIdThePeersWouldRefuse() {
        assertThatThrownBy(() -> Node.builder("").build()).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("id: must be 1..1024 characters");
        assertThatThrownBy(() -> Node.builder("n".repeat(1025)).build()).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("at most 1024");
        assertThatThrownBy(() -> Node.builder("half\uD83D").build()).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("unpaired surrogate");
        assertThat(Node.builder("n".repeat(1024)).build().id()).hasSize(1024);
        assertThat(Node.builder("n\u00e6ud-\uD83D\uDE00").build().id()).endsWith("\uD83D\uDE00");
    }
}

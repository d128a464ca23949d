package io.meshbus.compat;

import static org.assertj.core.api.Assertions.assertThat;

import io.meshbus.bus.Host;
import io.meshbus.bus.Peer;
import java.util.Map;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The bridge's invariant: every Java publish goes to the Node hosts once, a Node publish never goes back. */
@Timeout(60)
class PublishBridgeTest {
    private final Host host = Host.builder().id("bridge-host").listen("tcp://127.0.0.1:0").build();
    private final LinkedBlockingQueue<String> toNode = new LinkedBlockingQueue<>();
    private final PublishBridge bridge = new PublishBridge(host, "gateway-peer", p -> toNode.add(p.toString()));

    @AfterEach
    void stop() throws Exception {
        bridge.close();
        host.close().get(10, TimeUnit.SECONDS);
    }

    @Test
    void shouldForwardJavaPublishesAndNeverNodePublishesBack() throws Exception {
        host.start().get(10, TimeUnit.SECONDS);
        bridge.start().get(10, TimeUnit.SECONDS);
        LinkedBlockingQueue<String> local = new LinkedBlockingQueue<>();
        host.subscribe("news", (from, m) -> local.add(from + ":" + m.payloadText())).get(10, TimeUnit.SECONDS);
        Peer java = host.create("java");

        java.publish("news", Map.of("n", 1));
        assertThat(toNode.poll(10, TimeUnit.SECONDS)).isEqualTo("{\"channel\":\"news\",\"message\":{\"n\":1}}");
        assertThat(local.poll(10, TimeUnit.SECONDS)).isEqualTo("java:{\"n\":1}");

        bridge.onNodePublish(DistroJson.MAPPER.readTree("{\"channel\":\"news\",\"message\":{\"n\":2}}"));
        assertThat(local.poll(10, TimeUnit.SECONDS)).isEqualTo("gateway-peer:{\"n\":2}");
        bridge.onNodePublish(DistroJson.MAPPER.readTree("{\"channel\":\"news\",\"message\":\"text\"}"));
        assertThat(local.poll(10, TimeUnit.SECONDS)).isEqualTo("gateway-peer:text");
        // a channel that is no Meshbus subject is passed over, as is a publish without a channel
        bridge.onNodePublish(DistroJson.MAPPER.readTree("{\"channel\":\"no spaces\",\"message\":1}"));
        bridge.onNodePublish(DistroJson.MAPPER.readTree("{\"message\":1}"));

        // Publishes reach the bridge's subscription in the order they were made: had a Node publish been forwarded
        // back, it would arrive before this one.
        java.publish("news", Map.of("n", 3));
        assertThat(toNode.poll(10, TimeUnit.SECONDS)).isEqualTo("{\"channel\":\"news\",\"message\":{\"n\":3}}");
        assertThat(local.poll(10, TimeUnit.SECONDS)).isEqualTo("java:{\"n\":3}");
        assertThat(toNode).isEmpty();
    }
}

package io.meshbus.compat;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.URI;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** Two Java masterless nodes, no Node.js: what the node reports to its listeners. */
@Timeout(60)
class MasterlessNodeTest {
    private final List<MasterlessNode> nodes = new ArrayList<>();

    @AfterEach
    void stop() throws Exception {
        for (MasterlessNode n : nodes) {
            n.close().get(10, TimeUnit.SECONDS);
        }
    }

    private MasterlessNode node(String id, LinkedBlockingQueue<String> events) throws Exception {
        MasterlessNode n = MasterlessNode.create(id, "masterless+tcp://127.0.0.1:0");
        n.addListener(new MasterlessListener() {
            @Override
            public void onConnect(String other, URI info) {
                events.add("connect " + other);
            }

            @Override
            public void onDisconnect(String other) {
                events.add("disconnect " + other);
            }
        });
        nodes.add(n);
        return n.start().get(10, TimeUnit.SECONDS);
    }

    @Test
    void shouldReportADisconnectOnce() throws Exception {
        LinkedBlockingQueue<String> aEvents = new LinkedBlockingQueue<>();
        LinkedBlockingQueue<String> bEvents = new LinkedBlockingQueue<>();
        MasterlessNode a = node("a", aEvents);
        MasterlessNode b = node("b", bEvents);

        assertThat(a.connect(b.nodeInfo()).get(10, TimeUnit.SECONDS)).isEqualTo("b");
        assertThat(aEvents.poll(10, TimeUnit.SECONDS)).isEqualTo("connect b");
        assertThat(bEvents.poll(10, TimeUnit.SECONDS)).isEqualTo("connect a");

        a.disconnect("b");
        assertThat(aEvents.poll(10, TimeUnit.SECONDS)).isEqualTo("disconnect b");
        assertThat(bEvents.poll(10, TimeUnit.SECONDS)).isEqualTo("disconnect a");
        assertThat(a.connections()).isEmpty();

        // A second report of the first link's end would come before the next link's connect: the closed link's
        // clean-up runs on a's event loop long before a new handshake's round trips complete.
        assertThat(a.connect(b.nodeInfo()).get(10, TimeUnit.SECONDS)).isEqualTo("b");
        assertThat(aEvents.poll(10, TimeUnit.SECONDS)).isEqualTo("connect b");
        assertThat(a.connections()).containsExactly("b");
    }
}

package io.meshbus.js;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** meshbus.js under Node.js 20 (with the ws package) against a gateway on a test host. */
@Timeout(120)
class NodeClientTest {

    private static JsTools.Result scenario(JsTestNet net, String name, String id) {
        String node = JsTools.node();
        JsTools.npmPackages(node);
        return JsTools.run(List.of(node, "run-node.mjs", name, id), net.env(), JsTools.FIXTURE, Duration.ofSeconds(90));
    }

    @Test
    void shouldTalkToJavaPeersBothWaysAndSurviveACutLink() throws Exception {
        try (JsTestNet net = new JsTestNet()) {
            JsTools.Result r = scenario(net, "basic", "node-1");
            System.out.println(r.out());
            assertThat(r.exit()).as("%s", r).isZero();
            assertThat(r.out()).contains("\"ok\":true");

            Map.Entry<String, io.meshbus.message.Message> hello = net.nextReceived();
            assertThat(hello.getKey()).isEqualTo("node-1");
            assertThat(hello.getValue().decode(Map.class)).isEqualTo(Map.of("hello", "java", "from", "node-1"));
            assertThat(net.gateway().metrics()).containsEntry("accepted", 1L);   // the gateway after the cut
            assertThat(net.h1.get("node-1")).as("the peer leaves with its connection").isNull();
        }
    }

    @Test
    void shouldRefuseAWrongToken() {
        try (JsTestNet net = new JsTestNet()) {
            JsTools.Result r = scenario(net, "wrongToken", "node-intruder");
            System.out.println(r.out());
            assertThat(r.exit()).as("%s", r).isZero();
            assertThat(net.gateway().metrics()).containsEntry("authFailures", 1L).containsEntry("accepted", 0L);
            assertThat(net.h1.get("node-intruder")).isNull();
        }
    }

    @Test
    void shouldEndConnectionsThatBreakTheLimitsWithATypedError() {
        try (JsTestNet net = new JsTestNet(b -> b.maxMessageSize(16 * 1024).maxSubscriptions(5))) {
            JsTools.Result r = scenario(net, "limits", "node-limits");
            System.out.println(r.out());
            assertThat(r.exit()).as("%s", r).isZero();
            assertThat(net.gateway().metrics()).containsEntry("tooLarge", 1L).containsEntry("subscriptionLimit", 1L);
        }
    }
}

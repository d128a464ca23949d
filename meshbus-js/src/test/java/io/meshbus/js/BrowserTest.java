package io.meshbus.js;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** meshbus.js in real headless Chromium, driven by playwright-core, against pages served by a test gateway. */
@Timeout(180)
class BrowserTest {

    private static JsTools.Result browser(JsTestNet net, String what) throws Exception {
        Map<String, String> env = new HashMap<>(net.env());
        env.put("MESHBUS_METRICS", net.metricsUrl());
        return browser(env, what);
    }

    private static JsTools.Result browser(Map<String, String> env, String what) {
        String chromium = JsTools.chromium();
        String node = JsTools.node();
        JsTools.npmPackages(node);
        Map<String, String> all = new HashMap<>(env);
        all.put("CHROMIUM", chromium);
        return JsTools.run(List.of(node, "run-browser.mjs", what), all, JsTools.FIXTURE, Duration.ofSeconds(120));
    }

    @Test
    void shouldBeAPeerOfTheNetworkInABrowser() throws Exception {
        try (JsTestNet net = new JsTestNet()) {
            JsTools.Result r = browser(net, "basic");
            System.out.println(r.out());
            assertThat(r.exit()).as("%s", r).isZero();
            assertThat(r.out()).contains("\"scenario\":\"basic\",\"ok\":true")
                    .contains("\"scenario\":\"wrongToken\",\"ok\":true");

            Map.Entry<String, io.meshbus.message.Message> hello = net.nextReceived();
            assertThat(hello.getKey()).isEqualTo("web-1");
            assertThat(hello.getValue().decode(Map.class)).isEqualTo(Map.of("hello", "java", "from", "web-1"));
            assertThat(net.gateway().metrics()).containsEntry("authFailures", 1L);
        }
    }

    @Test
    void shouldSendDirectlyOverADataChannelAndFallBackWhenItCloses() throws Exception {
        try (JsTestNet net = new JsTestNet()) {
            JsTools.Result r = browser(net, "rtc");
            System.out.println(r.out());
            assertThat(r.exit()).as("%s", r).isZero();
            assertThat(r.out()).contains("\"scenario\":\"rtc\",\"ok\":true");
        }
    }

    @Test
    void shouldRunTheReadmeExample() throws Exception {
        try (BrowserDemo demo = BrowserDemo.start(0)) {
            JsTools.Result r = browser(Map.of("MESHBUS_HTTP", "http://127.0.0.1:"
                    + demo.gateway().address().getPort()), "demo");
            System.out.println(r.out());
            assertThat(r.exit()).as("%s", r).isZero();
            assertThat(r.out()).contains("\"scenario\":\"demo\",\"ok\":true");
        }
    }
}

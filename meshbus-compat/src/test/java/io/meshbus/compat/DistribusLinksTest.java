package io.meshbus.compat;

import static org.assertj.core.api.Assertions.assertThat;

import io.meshbus.node.Delay;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/** distribus's reconnect timing, as the links re-dial a host that went away. */
class DistribusLinksTest {
    @Test
    void shouldWaitTheDelayThenGrowItByTheDecayUpToTheReconnectTimeout() {
        Delay d = DistribusLinks.redial(Duration.ofMillis(100), 2, Duration.ofSeconds(1));
        assertThat(d.delay(1)).isEqualTo(Duration.ofMillis(100));
        assertThat(d.delay(2)).isEqualTo(Duration.ofMillis(200));
        assertThat(d.delay(3)).isEqualTo(Duration.ofMillis(400));
        assertThat(d.delay(4)).isEqualTo(Duration.ofMillis(800));
        assertThat(d.delay(5)).isEqualTo(Duration.ofSeconds(1));
        assertThat(d.delay(50)).isEqualTo(Duration.ofSeconds(1));
    }

    @Test
    void shouldKeepDistribusDefaultsAndADelayLongerThanTheTimeout() {
        Delay defaults = DistribusLinks.redial(Duration.ofSeconds(1), 2, Duration.ofMinutes(5));
        assertThat(defaults.delay(1)).isEqualTo(Duration.ofSeconds(1));
        assertThat(defaults.delay(2)).isEqualTo(Duration.ofSeconds(2));
        assertThat(defaults.delay(20)).isEqualTo(Duration.ofMinutes(5));
        Delay constant = DistribusLinks.redial(Duration.ofSeconds(2), 1, Duration.ofSeconds(1));
        assertThat(constant.delay(1)).isEqualTo(Duration.ofSeconds(2));
        assertThat(constant.delay(3)).isEqualTo(Duration.ofSeconds(2));
    }
}

package io.meshbus.compat;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.URI;
import org.junit.jupiter.api.Test;

class DialectTest {
    @Test
    void shouldChooseTheDialectByScheme() {
        assertThat(Dialect.of(URI.create("distribus+ws://127.0.0.1:3000"))).isEqualTo(Dialect.DISTRIBUS);
        assertThat(Dialect.of(URI.create("masterless+tcp://127.0.0.1:1"))).isEqualTo(Dialect.MASTERLESS);
        assertThat(Dialect.of(URI.create("distro+udp6://[::1]:1"))).isEqualTo(Dialect.DISTRO_UDP6);
        assertThat(Dialect.of(URI.create("tcp://127.0.0.1:1"))).isEqualTo(Dialect.NATIVE);
        assertThat(Dialect.of(URI.create("ws://127.0.0.1:1"))).isEqualTo(Dialect.NATIVE);
        assertThat(Dialect.strip(URI.create("distribus+ws://h:1"))).isEqualTo(URI.create("ws://h:1"));
        assertThat(Dialect.strip(URI.create("tcp://h:1"))).isEqualTo(URI.create("tcp://h:1"));
        assertThat(Dialect.MASTERLESS.wrap("tcp://h:2")).isEqualTo(URI.create("masterless+tcp://h:2"));
        assertThat(Dialect.DISTRIBUS.wrap("distribus+ws://h:2")).isEqualTo(URI.create("distribus+ws://h:2"));
    }
}

package io.meshbus.redis;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/** The backplane's names on Redis, and globs that never match more than their literal parts say. */
class RedisNamesTest {
    private final RedisNames names = new RedisNames("ns");

    private static String text(byte[] b) {
        return new String(b, StandardCharsets.UTF_8);
    }

    @Test
    void shouldEscapeEveryGlobCharacterAndNothingElse() {
        assertThat(RedisNames.globEscape("plain.name:1")).isEqualTo("plain.name:1");
        assertThat(RedisNames.globEscape("a*b?c[d]e\\f")).isEqualTo("a\\*b\\?c\\[d\\]e\\\\f");
        assertThat(RedisNames.globEscape("")).isEmpty();
    }

    @Test
    void shouldNameEachThingUnderTheNamespace() {
        assertThat(text(names.inbox("h1"))).isEqualTo("ns:inbox:h1");
        assertThat(names.inbox("h1")).isSameAs(names.inbox("h1"));
        assertThat(text(names.hostKey("h1"))).isEqualTo("ns:host:h1");
        assertThat(text(names.channel("orders.new"))).isEqualTo("ns:ch:orders.new");
        assertThat(text(names.directoryKey())).isEqualTo("ns:dir");
        assertThat(text(names.hostsChannel())).isEqualTo("ns:hosts");
        assertThat(names.isHostsChannel("ns:hosts".getBytes(StandardCharsets.UTF_8))).isTrue();
        assertThat(names.isHostsChannel("ns:hosts2".getBytes(StandardCharsets.UTF_8))).isFalse();
    }

    @Test
    void shouldReadSubjectsAndHostsBackFromNames() {
        assertThat(names.subjectOf(names.channel("orders.new"))).isEqualTo("orders.new");
        assertThat(names.subjectOf(names.inbox("h1"))).isNull();
        assertThat(names.subjectOf("ns:c".getBytes(StandardCharsets.UTF_8))).isNull();
        assertThat(names.hostOfKey(names.hostKey("host:with:colons"))).isEqualTo("host:with:colons");
    }

    @Test
    void shouldGlobOnlyPatternsWithWildcardsAndEscapeTheirLiteralParts() {
        assertThat(names.glob("orders.new")).isNull();
        assertThat(names.glob("orders.*")).isEqualTo("ns:ch:orders.*");
        assertThat(names.glob("orders.>")).isEqualTo("ns:ch:orders.*");
        assertThat(names.glob("*.new")).isEqualTo("ns:ch:*.new");
        assertThat(names.glob("a[1].*")).isEqualTo("ns:ch:a\\[1\\].*");
        assertThat(new RedisNames("n?s").glob("x.*")).isEqualTo("n\\?s:ch:x.*");
        assertThat(new RedisNames("n*").hostKeys()).isEqualTo("n\\*:host:*");
    }
}

package io.meshbus.nats;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;

import org.junit.jupiter.api.Test;

/**
 * The backplane's NATS subjects: no id or subject token can reach beyond its own place. JUnit's assertions here, not
 * AssertJ's: loading AssertJ before NatsNoRespondersTest runs in the same JVM makes that test's two sends fall within
 * one 20 ms probe window (see NoResponders), and it fails.
 */
class NatsSubjectsTest {
    private final NatsSubjects subjects = new NatsSubjects("ns");

    @Test
    void shouldKeepPlainTokensAndHexEncodeTheRest() {
        assertEquals("host-1_A", NatsSubjects.token("host-1_A"));
        assertEquals("~612e62", NatsSubjects.token("a.b"));
        assertEquals("~2a", NatsSubjects.token("*"));
        assertEquals("~3e", NatsSubjects.token(">"));
        assertEquals("~", NatsSubjects.token(""));
        assertEquals("~c3a9", NatsSubjects.token("é"));
        // an encoded id never equals a plain one: '~' is not a plain character
        assertNotEquals("~612e62", NatsSubjects.token("~612e62"));
    }

    @Test
    void shouldNameInboxesHostsAndNoRespondersUnderTheNamespace() {
        assertEquals("ns.inbox.h1", subjects.inbox("h1"));
        assertEquals("ns.inbox.~612e62", subjects.inbox("a.b"));
        assertEquals("ns.hosts", subjects.hosts());
        assertEquals("ns.nr.h1.", subjects.noRespondersPrefix("h1"));
    }

    @Test
    void shouldMapChannelsTokenByTokenKeepingWildcardsOnlyInPatterns() {
        assertEquals("ns.ch.orders.new", subjects.channel("orders.new", false));
        assertEquals("ns.ch.orders.*", subjects.channel("orders.*", true));
        assertEquals("ns.ch.orders.>", subjects.channel("orders.>", true));
        assertEquals("ns.ch.~612062.c", subjects.channel("a b.c", false));
    }
}

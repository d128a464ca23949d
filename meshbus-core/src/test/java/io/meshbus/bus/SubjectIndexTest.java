package io.meshbus.bus;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class SubjectIndexTest {
    private static List<String> match(SubjectIndex<String> idx, String subject) {
        List<String> out = new ArrayList<>();
        idx.match(Subjects.tokens(subject, false), out::add);
        out.sort(null);
        return out;
    }

    @Test
    void shouldMatchLiteralsStarsAndRests() {
        SubjectIndex<String> idx = new SubjectIndex<>();
        for (String p : List.of("orders.new", "orders.*", "orders.>", "*.new", ">", "orders.*.eu", "billing.>")) {
            idx.add(p, p);
        }
        assertThat(match(idx, "orders.new")).containsExactly("*.new", ">", "orders.*", "orders.>", "orders.new");
        assertThat(match(idx, "orders")).containsExactly(">");
        assertThat(match(idx, "orders.a.eu")).containsExactly(">", "orders.*.eu", "orders.>");
        assertThat(match(idx, "orders.a.us")).containsExactly(">", "orders.>");
        assertThat(match(idx, "billing")).containsExactly(">");
        assertThat(match(idx, "shipping.old")).containsExactly(">");
        assertThat(idx.remove(">", ">")).isTrue();
        assertThat(idx.remove(">", ">")).isFalse();
        assertThat(match(idx, "orders")).isEmpty();
        assertThat(idx.size()).isEqualTo(6);
    }

    @Test
    void shouldTreatGlobCharactersAsPlainText() {
        SubjectIndex<String> idx = new SubjectIndex<>();
        idx.add("a?.[x]", "glob");
        assertThat(match(idx, "ab.x")).isEmpty();
        assertThat(match(idx, "a?.[x]")).containsExactly("glob");
    }

    @Test
    void shouldRefuseMalformedSubjects() {
        assertThatThrownBy(() -> Subjects.tokens("a..b", true)).hasMessageContaining("empty token");
        assertThatThrownBy(() -> Subjects.tokens("a.>.b", true)).hasMessageContaining("last token");
        assertThatThrownBy(() -> Subjects.tokens("a.*", false)).hasMessageContaining("concrete subject");
        assertThatThrownBy(() -> Subjects.tokens("", true)).hasMessageContaining("empty");
    }

    @Test
    void shouldStayExactWithManySubscriptions() {
        SubjectIndex<String> idx = new SubjectIndex<>();
        for (int i = 0; i < 100_000; i++) {
            idx.add("svc." + i + ".events", "s" + i);
        }
        idx.add("svc.*.events", "all");
        assertThat(match(idx, "svc.4242.events")).containsExactly("all", "s4242");
        idx.removeIf(v -> v.startsWith("s"));
        assertThat(idx.size()).isEqualTo(1);
        assertThat(match(idx, "svc.1.events")).containsExactly("all");
    }

    @Test
    void shouldMatchPeerIdsAgainstPatterns() {
        assertThat(Subjects.idMatches(Subjects.tokens("sensors.*", true), "sensors.t1")).isTrue();
        assertThat(Subjects.idMatches(Subjects.tokens("sensors.*", true), "sensors")).isFalse();
        assertThat(Subjects.idMatches(Subjects.tokens("sensors.*", true), "sensors.t1.x")).isFalse();
        assertThat(Subjects.idMatches(Subjects.tokens("sensors.>", true), "sensors.t1.x")).isTrue();
        assertThat(Subjects.idMatches(Subjects.tokens("sensors.>", true), "sensors")).isFalse();
        assertThat(Subjects.idMatches(Subjects.tokens("*.t1", true), "sensors.t1")).isTrue();
        assertThat(Subjects.idMatches(Subjects.tokens("sensors.t", true), "sensors.t1")).isFalse();
        assertThat(Subjects.idMatches(Subjects.tokens("sensors.*", true), "sensors.")).isFalse();
        assertThat(Subjects.matches("a.*", "a.b")).isTrue();
        assertThat(Subjects.matches("a.>", "a")).isFalse();
    }
}

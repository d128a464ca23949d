package io.meshbus.bus;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.meshbus.error.NotAuthorizedException;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** A host's authorizer: denied sends, requests and subscriptions fail typed; denied publishes are counted. */
class AuthorizationTest {
    @Test
    void shouldDenyWhatTheAuthorizerForbidsAndAllowTheRest() throws Exception {
        try (Hosts hosts = new Hosts("mem")) {
            Authorizer policy = new Authorizer() {
                @Override
                public boolean maySend(String host, String from, String to) {
                    return !to.equals("vault") || from.equals("boss");
                }

                @Override
                public boolean maySubscribe(String host, String pattern) {
                    return !pattern.startsWith("secret.");
                }

                @Override
                public boolean mayPublish(String host, String from, String subject) {
                    return !subject.startsWith("admin.");
                }
            };
            Host guarded = hosts.start(hosts.builder(Hosts.unique("g")).authorizer(policy));
            Host other = hosts.start();
            Hosts.join(other, guarded);
            Hosts.Inbox vault = Hosts.Inbox.of(guarded.create("vault"));
            Peer mallory = other.create("mallory");
            Peer boss = other.create("boss");

            assertThatThrownBy(() -> mallory.send("vault", "let me in").get(10, TimeUnit.SECONDS))
                    .hasCauseInstanceOf(NotAuthorizedException.class).cause().hasMessageContaining("mallory");
            assertThatThrownBy(() -> mallory.request("vault", "q", Duration.ofSeconds(5)).get(10, TimeUnit.SECONDS))
                    .hasCauseInstanceOf(NotAuthorizedException.class);
            boss.send("vault", "hello").get(10, TimeUnit.SECONDS);
            assertThat(vault.next().from()).isEqualTo("boss");

            assertThatThrownBy(() -> mallory.subscribe("secret.plans", (f, m) -> { }).get(10, TimeUnit.SECONDS))
                    .hasRootCauseInstanceOf(NotAuthorizedException.class);
            Hosts.Inbox open = new Hosts.Inbox();
            mallory.subscribe("news.>", open).get(10, TimeUnit.SECONDS);
            guarded.publish("news.today", "fine");
            assertThat(open.next().message().payloadText()).isEqualTo("fine");

            Hosts.Inbox admin = new Hosts.Inbox();
            guarded.subscribe("admin.>", admin).get(10, TimeUnit.SECONDS);
            mallory.publish("admin.shutdown", "now");
            await().atMost(Hosts.WAIT).until(() -> guarded.metrics().get("denied") >= 4);
            assertThat(admin.got).isEmpty();
        }
    }
}

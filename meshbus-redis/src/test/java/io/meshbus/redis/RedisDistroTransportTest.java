package io.meshbus.redis;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.lettuce.core.RedisClient;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.api.sync.RedisCommands;
import io.meshbus.bus.Brokers;
import io.meshbus.error.BackPressureException;
import io.meshbus.error.BrokerUnavailableException;
import io.meshbus.error.NoRespondersException;
import io.meshbus.message.Headers;
import io.meshbus.message.Message;
import io.meshbus.message.Verb;
import io.meshbus.route.Client;
import io.meshbus.route.Distro;
import io.meshbus.route.Info;
import io.meshbus.route.Response;
import io.meshbus.route.Server;
import io.meshbus.route.Status;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

/** The distro API over a real Redis: routes as channels, done right where distro-redis went wrong. */
class RedisDistroTransportTest {
    private static final Duration T = Duration.ofSeconds(10);
    private final String base = Brokers.redis();
    private final String namespace = "distro-test-" + UUID.randomUUID();
    private final List<Server> servers = new ArrayList<>();
    private final List<Client> clients = new ArrayList<>();
    private RedisClient admin;
    private StatefulRedisConnection<String, String> adminConnection;

    @BeforeEach
    void connect() {
        admin = RedisClient.create(base);
        adminConnection = admin.connect();
    }

    @AfterEach
    void close() {
        clients.forEach(c -> c.close().orTimeout(10, TimeUnit.SECONDS).exceptionally(e -> null).join());
        servers.forEach(s -> s.close().orTimeout(10, TimeUnit.SECONDS).exceptionally(e -> null).join());
        admin.shutdown(Duration.ZERO, Duration.ofSeconds(2));
    }

    private RedisCommands<String, String> redis() {
        return adminConnection.sync();
    }

    private Info info(String extra) {
        return new Info(base + (base.contains("?") ? "&" : "?") + "namespace=" + namespace + extra, 0);
    }

    private RedisDistroServer server() throws Exception {
        return server(info(""));
    }

    private RedisDistroServer server(Info where) {
        Server s = Distro.create("redis").server(where);
        servers.add(s);
        return (RedisDistroServer) s;
    }

    private RedisDistroClient client(Info where) {
        Client c = Distro.create("redis").client(where);
        clients.add(c);
        return (RedisDistroClient) c;
    }

    private static Message msg(String verb, String uri, Object payload) {
        Headers.Builder h = Headers.builder().put(Headers.URI, uri);
        if (verb != null) {
            h.put(Headers.VERB, verb);
        }
        return Message.of(h.build(), payload);
    }

    private static <T> T get(CompletableFuture<T> f) throws Exception {
        return f.get(10, TimeUnit.SECONDS);
    }

    private static Response request(Client c, String verb, String uri) throws Exception {
        return get(c.request(msg(verb, uri, "x"), T));
    }

    @Test
    void shouldBeFoundByNameLikeTheBuiltInCarriers() {
        assertThat(Distro.transports()).containsKey("redis");
        assertThat(Distro.create("redis").transportName()).isEqualTo("redis");
        assertThatThrownBy(() -> Distro.create("nope")).hasMessageContaining("redis");
    }

    @Test
    void shouldAnswerRequestsByVerbAndUri() throws Exception {
        RedisDistroServer s = server();
        for (Verb v : Verb.values()) {
            s.on(v, "/orders", ctx -> v + " " + ctx.message().payloadText());
        }
        s.get("/users/{id}", ctx -> Map.of("user", ctx.param("id")));
        s.delete("/boom", ctx -> {
            throw new IllegalStateException("kaboom");
        });
        get(s.start());
        Client c = client(s.info());
        for (Verb v : Verb.values()) {
            // distro-redis published the verb as given, so "post" never reached a POST handler.
            Response r = request(c, v.name().toLowerCase(Locale.ROOT), "/ORDERS/");
            assertThat(r.status()).isEqualTo(Status.OK);
            assertThat(r.message().payloadText()).isEqualTo(v + " x");
        }
        assertThat(request(c, null, "/orders").message().payloadText()).isEqualTo("GET x");
        assertThat((Map<?, ?>) get(c.request(msg("get", "/users/Ada", null), T)).message().decode(Map.class))
                .isEqualTo(Map.of("user", "Ada"));
        Response boom = request(c, "delete", "/boom");
        assertThat(boom.status()).isEqualTo(Status.ERROR);
        assertThat(boom.error()).contains("kaboom");
        Response badVerb = request(c, "fetch", "/orders");
        assertThat(badVerb.status()).isEqualTo(Status.ERROR);
        assertThat(badVerb.error()).contains("fetch");
        assertThat(request(c, "put", "/users/Ada").status()).isEqualTo(Status.NOT_FOUND);
        assertThat(request(c, "get", "/users/Ada").ok()).isTrue();
    }

    @Test
    void shouldRunCatchAllHandlersForEveryMessageOnceEvenWhereSubscriptionsOverlap() throws Exception {
        RedisDistroServer s = server();
        AtomicInteger all = new AtomicInteger();
        AtomicInteger exact = new AtomicInteger();
        AtomicInteger param = new AtomicInteger();
        s.receive(ctx -> "seen " + all.incrementAndGet());
        s.get("/dup", ctx -> exact.incrementAndGet() > 0 ? null : null);
        s.get("/{any}", ctx -> param.incrementAndGet() > 0 ? null : null);
        get(s.start());
        Client c = client(s.info());
        // The catch-all sees any verb and uri, with no route of its own.
        Response r = request(c, "patch", "/nowhere/at/all");
        assertThat(r.status()).isEqualTo(Status.OK);
        assertThat(r.message().payloadText()).isEqualTo("seen 1");
        for (int i = 0; i < 20; i++) {
            assertThat(request(c, "get", "/dup").ok()).isTrue();
        }
        // Each PUBLISH reached the server through three subscriptions, and was handled once.
        assertThat(all.get()).isEqualTo(21);
        assertThat(exact.get()).isEqualTo(20);
        assertThat(param.get()).isEqualTo(20);
        assertThat(s.metrics().get("duplicates")).isGreaterThanOrEqualTo(40L);
    }

    @Test
    void shouldTranslateRoutesToExactChannelsAndEscapedPatterns() {
        DistroChannels ch = new DistroChannels("n[s]");
        assertThat(ch.forRoute(Verb.GET, "/A*b/")).isEqualTo(new DistroChannels.Subscriptions(
                List.of("n[s]:route:GET:/a*b"), List.of()));
        assertThat(ch.forRoute(Verb.POST, "/orders/{id}/q?")).isEqualTo(new DistroChannels.Subscriptions(
                List.of(), List.of("n\\[s\\]:route:POST:/orders/*/q\\?")));
        assertThat(ch.forRoute(Verb.GET, "/files/*")).isEqualTo(new DistroChannels.Subscriptions(
                List.of("n[s]:route:GET:/files"), List.of("n\\[s\\]:route:GET:/files/*")));
        assertThat(ch.forRoute(Verb.GET, "/*")).isEqualTo(new DistroChannels.Subscriptions(
                List.of(), List.of("n\\[s\\]:route:GET:/*")));
        assertThat(ch.forRoute(Verb.GET, "/")).isEqualTo(new DistroChannels.Subscriptions(
                List.of("n[s]:route:GET:/"), List.of()));
        assertThat(ch.route(Verb.DELETE, "//Files//A*B/")).isEqualTo("n[s]:route:DELETE:/files/a*b");
        assertThat(ch.catchAll()).isEqualTo("n\\[s\\]:route:*");
    }

    @Test
    void shouldMatchWildcardRoutesAndKeepGlobCharactersInPlainRoutesLiteral() throws Exception {
        RedisDistroServer s = server();
        s.get("/files/*", ctx -> "file " + ctx.param("*"));
        s.get("/orders/{id}", ctx -> "order " + ctx.param("id"));
        s.get("/a*b", ctx -> "star");
        s.get("/q?", ctx -> "question");
        s.get("/x[yz]", ctx -> "class");
        s.get("/back\\slash", ctx -> "backslash");
        get(s.start());
        Client c = client(s.info());
        assertThat(request(c, "get", "/files/a/B.txt").message().payloadText()).isEqualTo("file a/B.txt");
        assertThat(request(c, "get", "/files").message().payloadText()).isEqualTo("file ");
        assertThat(request(c, "get", "/orders/42").message().payloadText()).isEqualTo("order 42");
        assertThat(request(c, "get", "/orders/42/lines").status()).isEqualTo(Status.NOT_FOUND);
        assertThat(request(c, "get", "/filesystem").status()).isEqualTo(Status.NOT_FOUND);
        assertThat(request(c, "get", "/a*b").message().payloadText()).isEqualTo("star");
        assertThat(request(c, "get", "/q?").message().payloadText()).isEqualTo("question");
        assertThat(request(c, "get", "/x[yz]").message().payloadText()).isEqualTo("class");
        assertThat(request(c, "get", "/back\\slash").message().payloadText()).isEqualTo("backslash");
        long before = s.metrics().get("received");
        for (String uri : List.of("/ab", "/axxb", "/a/b", "/qz", "/xy", "/xz", "/backslash")) {
            assertThat(request(c, "get", uri).status()).as(uri).isEqualTo(Status.NOT_FOUND);
        }
        // Those went to the unrouted channel (7) after reaching no route channel: no pattern took them.
        assertThat(s.metrics().get("received") - before).isEqualTo(7);
        assertThat(redis().pubsubChannels(RedisNames.globEscape(namespace) + ":route:*"))
                .contains(namespace + ":route:GET:/a*b", namespace + ":route:GET:/q?",
                        namespace + ":route:GET:/x[yz]", namespace + ":route:GET:/files");
    }

    @Test
    void shouldConfirmWithTheOriginalIdAsTheOtherCarriersDo() throws Exception {
        RedisDistroServer s = server();
        List<String> seen = new java.util.concurrent.CopyOnWriteArrayList<>();
        s.post("/orders", ctx -> seen.add(ctx.message().id().toString()) ? null : null);
        get(s.start());
        Client c = client(s.info());
        Message m = msg("post", "/orders", Map.of("sku", "a1"));
        Message received = get(c.sendConfirmed(m, T));
        assertThat(received.header(Headers.URI)).isEqualTo("RECEIVED");
        assertThat((Map<?, ?>) received.decode(Map.class)).isEqualTo(Map.of("msgId", m.id().toString()));
        await().atMost(T).until(() -> seen.contains(m.id().toString()));
        // As on tcp and udp: a server confirms what it received, routed or not.
        Message unknown = msg("post", "/nowhere", "x");
        assertThat((Map<?, ?>) get(c.sendConfirmed(unknown, T)).decode(Map.class))
                .isEqualTo(Map.of("msgId", unknown.id().toString()));
    }

    @Test
    void shouldAnswerAnUnknownRouteNotFoundAndFailFastWithoutAnyServer() throws Exception {
        RedisDistroServer s = server();
        s.post("/orders", ctx -> "ok");
        s.router().get("/direct", ctx -> "through the unrouted channel");
        get(s.start());
        RedisDistroClient c = client(s.info());
        Response r = request(c, "post", "/bills");
        assertThat(r.status()).isEqualTo(Status.NOT_FOUND);
        assertThat(r.error()).contains("POST /bills");
        assertThat(request(c, "get", "/direct").message().payloadText()).isEqualTo("through the unrouted channel");
        get(c.send(msg("post", "/bills", "fire and forget")));
        await().atMost(T).until(() -> s.router().metrics().get("notFound") == 2L);

        assertThatThrownBy(() -> get(c.request(Message.of(Headers.EMPTY, "x"), T)))
                .hasCauseInstanceOf(IllegalArgumentException.class).hasMessageContaining("no uri");
        get(s.close());
        // Redis drops a closed connection's subscriptions when it reads the close, not when the client finished it.
        await().atMost(T).until(() -> redis().pubsubNumsub(namespace + ":unrouted").get(namespace + ":unrouted")
                == 0L);
        long started = System.nanoTime();
        assertThatThrownBy(() -> get(c.request(msg("post", "/orders", "x"), Duration.ofSeconds(30))))
                .isInstanceOf(ExecutionException.class).hasCauseInstanceOf(NoRespondersException.class);
        assertThatThrownBy(() -> get(c.sendConfirmed(msg("post", "/orders", "x"), Duration.ofSeconds(30))))
                .hasCauseInstanceOf(NoRespondersException.class);
        assertThat(Duration.ofNanos(System.nanoTime() - started)).isLessThan(Duration.ofSeconds(10));
        get(c.send(msg("post", "/orders", "lost")));
        assertThat(c.metrics().get("undelivered")).isEqualTo(3L);
    }

    @Test
    void shouldDropCountAndLogMalformedRecordsAndKeepServing() throws Exception {
        RedisDistroServer s = server();
        s.post("/x", ctx -> "still ok");
        get(s.start());
        RedisDistroClient c = client(s.info());
        assertThat(request(c, "post", "/x").ok()).isTrue();
        String route = namespace + ":route:POST:/x";
        redis().publish(route, "this is not a message at all");
        redis().publish(namespace + ":unrouted", "{\"id\":");
        // Well-formed but on the wrong channel: a GET does not belong on a POST channel.
        redis().publish(route, msg("get", "/x", "y").toString());
        // Would make the server publish its answer outside the namespace's reply channels.
        redis().publish(route, msg("post", "/x", "y").withHeaders(Headers.of(Map.of(Headers.URI, "/x",
                Headers.VERB, "post", Headers.REPLY_TO, "elsewhere", Headers.CORRELATION_ID, "1"))).toString());
        redis().publish(route, msg("post", "/x", "y").withHeaders(Headers.EMPTY).toString());
        redis().publish(c.replyChannel(), "]]] not an answer");
        await().atMost(T).until(() -> s.metrics().get("malformed") == 5L && c.metrics().get("malformed") == 1L);
        assertThat(request(c, "post", "/x").message().payloadText()).isEqualTo("still ok");
        assertThat(s.router().metrics().get("handled")).isEqualTo(2L);
    }

    @Test
    void shouldReuseOneConnectionForEverySendOfAClient() throws Exception {
        RedisDistroServer s = server();
        s.post("/count", ctx -> null);
        get(s.start());
        String name = "distro-reuse-" + UUID.randomUUID().toString().substring(0, 8);
        RedisDistroClient c = client(info("&clientName=" + name));
        List<CompletableFuture<Void>> sends = new ArrayList<>();
        for (int i = 0; i < 500; i++) {
            sends.add(c.send(msg("post", "/count", i)));
        }
        get(CompletableFuture.allOf(sends.toArray(new CompletableFuture<?>[0])));
        await().atMost(T).until(() -> s.router().metrics().get("handled") == 500L);
        assertThat(connectionsNamed(name)).isEqualTo(1);
        for (int i = 0; i < 50; i++) {
            assertThat(request(c, "post", "/count").ok()).isTrue();
        }
        // Plus the subscriber connection for the reply channel, opened once by the first request.
        assertThat(connectionsNamed(name)).isEqualTo(2);
        assertThat(c.metrics()).containsEntry("connections", 2L).containsEntry("published", 550L);
    }

    private long connectionsNamed(String name) {
        return redis().clientList().lines().filter(l -> l.contains(" name=" + name + " ")).count();
    }

    @Test
    void shouldBoundPublishesInFlight() throws Exception {
        RedisDistroServer s = server();
        s.post("/x", ctx -> null);
        get(s.start());
        RedisDistroTransport t = RedisDistroTransport.builder().maxInFlight(1).build();
        Client c = Distro.create(t, LoggerFactory.getLogger(getClass())).client(s.info());
        clients.add(c);
        List<CompletableFuture<Void>> sends = new ArrayList<>();
        // The first send waits for the connection to open, the others find the one slot taken.
        for (int i = 0; i < 50; i++) {
            sends.add(c.send(msg("post", "/x", i)));
        }
        int refused = 0;
        for (CompletableFuture<Void> f : sends) {
            try {
                get(f);
            } catch (ExecutionException e) {
                assertThat(e.getCause()).isInstanceOf(BackPressureException.class);
                refused++;
            }
        }
        assertThat(refused).isBetween(1, 49);
        get(c.send(msg("post", "/x", "after")));
    }

    @Test
    void shouldAuthenticateThroughTheUri() throws Exception {
        String user = "distro-" + UUID.randomUUID().toString().substring(0, 8);
        redis().aclSetuser(user, io.lettuce.core.AclSetuserArgs.Builder.on().addPassword("s3cret").allKeys()
                .allChannels().allCommands());
        try {
            String authed = base.replace("redis://", "redis://" + user + ":s3cret@")
                    + "/0?namespace=" + namespace;
            RedisDistroServer s = server(new Info(authed, 0));
            s.get("/who", ctx -> "authenticated");
            get(s.start());
            assertThat(request(client(s.info()), "get", "/who").message().payloadText()).isEqualTo("authenticated");
            RedisDistroServer wrong = server(new Info(authed.replace(":s3cret@", ":wrong@"), 0));
            assertThatThrownBy(() -> get(wrong.start())).hasCauseInstanceOf(BrokerUnavailableException.class);
        } finally {
            redis().aclDeluser(user);
        }
    }

    @Test
    void shouldTakeTlsDatabaseAndNamespaceFromTheUri() {
        RedisDistroTransport.Target t = RedisDistroTransport.target(new Info(
                "rediss://alice:p%40ss@cache.example:6380/2?namespace=shop&timeout=3s", 0),
                RedisDistroTransport.builder().options());
        assertThat(t.uri().isSsl()).isTrue();
        assertThat(t.uri().getDatabase()).isEqualTo(2);
        assertThat(t.uri().getTimeout()).isEqualTo(Duration.ofSeconds(3));
        assertThat(t.namespace()).isEqualTo("shop");
        assertThat(t.display()).doesNotContain("alice").doesNotContain("p%40ss")
                .contains("rediss://cache.example:6380/2");
        RedisDistroTransport.Target plain = RedisDistroTransport.target(Info.port(0),
                RedisDistroTransport.builder().namespace("n").options());
        assertThat(plain.uri().getPort()).isEqualTo(6379);
        assertThat(plain.uri().isSsl()).isFalse();
        assertThat(plain.namespace()).isEqualTo("n");
        assertThatThrownBy(() -> RedisDistroTransport.target(new Info("nats://x:1", 0),
                RedisDistroTransport.builder().options())).isInstanceOf(IllegalArgumentException.class);
    }
}

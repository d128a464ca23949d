package io.meshbus.nats;

import io.meshbus.bus.BackplaneFrames;
import io.meshbus.bus.BrokerBackplane;
import io.meshbus.node.SendStatus;
import io.nats.client.Connection;
import io.nats.client.ConnectionListener;
import io.nats.client.Dispatcher;
import io.nats.client.ErrorListener;
import io.nats.client.Nats;
import io.nats.client.Options;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.LongAdder;
import javax.net.ssl.SSLContext;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A host's backplane over NATS (jnats). Subjects, under a namespace (default {@code meshbus}):
 * <ul>
 * <li>{@code NS.inbox.HOST} — a host's inbox, one {@link BackplaneFrames} record per message; one connection per host
 *     keeps each pair of hosts in order;</li>
 * <li>{@code NS.ch.SUBJECT} — channels, token by token (a token that is not plain is encoded as below): a publish is
 *     one NATS publish, wildcards are NATS's own, and a queue group is a NATS queue subscription (the server picks
 *     the host, the host one of its local members);</li>
 * <li>{@code NS.hosts} — heartbeats ({@code u INCARNATION HOST} every {@code heartbeat}) and goodbyes; a host silent
 *     for {@code livenessTimeout} is dropped with its peers. A host answers a newcomer's first heartbeat with its own
 *     at once, so a starting host knows the others within one round trip; {@link #start} waits
 *     {@code discoveryWindow} for those answers.</li>
 * </ul>
 * A host id that is not a plain NATS token ({@code [A-Za-z0-9_-]+}) is written as {@code ~} and its UTF-8 in hex, so an
 * id with dots or wildcards can never address another host's inbox. Core NATS keeps nothing for a disconnected
 * subscriber (at most once); while the server is unreachable {@link #send} answers {@link SendStatus#NOT_CONNECTED}
 * at once, and jnats reconnects and re-subscribes by itself. When jnats' outgoing queue is full a send waits for it
 * (NATS's own back-pressure) at most 5 s, then answers {@link SendStatus#BACK_PRESSURED}.
 *
 * <p>The rooms: this class connects, beats, publishes and closes; {@link NatsSubjects} makes every subject,
 * {@link NatsChannels} holds the channel subscriptions, {@link NoResponders} finds crashed hosts by the server's
 * no-responders answers.
 *
 * <p>Threads: records arrive on jnats dispatcher threads and are only decoded and handed to the host's lanes there;
 * connecting, heartbeats and subscription confirmations run on the backplane's own thread; sends from any thread.
 */
public final class NatsBackplane extends BrokerBackplane {
    private static final Logger LOG = LoggerFactory.getLogger(NatsBackplane.class);

    private final Settings settings;
    private final NatsSubjects subjects;
    private final Names<String> channelSubjects;
    private final LongAdder backPressured = new LongAdder();
    private final LongAdder reconnects = new LongAdder();
    private volatile Connection connection;
    private volatile NatsChannels channels;
    private volatile NoResponders noResponders;

    private NatsBackplane(Settings settings) {
        super(settings.maxFrameSize, settings.livenessTimeout);
        this.settings = settings;
        this.subjects = new NatsSubjects(settings.namespace);
        this.channelSubjects = new Names<>(s -> subjects.channel(s, false), 10_000);
    }

    /** A backplane on the NATS server at {@code uri} ({@code nats://host:port}, {@code tls://host:port}). */
    public static NatsBackplane create(String uri) {
        return builder().uri(uri).build();
    }

    public static Builder builder() {
        return new Builder();
    }

    @Override
    public String name() {
        return "nats";
    }

    public Settings settings() {
        return settings;
    }

    @Override
    public CompletableFuture<Void> start(String hostId, long incarnation, Events events) {
        return start(hostId, incarnation, events, settings.uri, settings.heartbeat, settings.discoveryWindow,
                this::connect, this::heartbeat);
    }

    private void connect() throws java.io.IOException, InterruptedException {
        Options.Builder b = new Options.Builder()
                .servers(java.util.Arrays.stream(settings.uri.split(",")).map(String::trim).toArray(String[]::new))
                .connectionName("meshbus-" + hostId)
                .maxReconnects(-1)
                .reconnectWait(settings.reconnectWait)
                .connectionTimeout(settings.connectTimeout)
                .reconnectBufferSize(settings.reconnectBufferBytes)
                .maxMessagesInOutgoingQueue(settings.maxOutgoing)
                .connectionListener(this::onConnectionEvent)
                .errorListener(new ErrorListener() {
                    @Override
                    public void exceptionOccurred(Connection conn, Exception exp) {
                        // Reconnects are reported by the connection listener; the socket errors behind them are noise.
                        LOG.debug("nats backplane {}: {}", hostId, exp.toString());
                    }

                    @Override
                    public void errorOccurred(Connection conn, String error) {
                        LOG.warn("nats backplane {}: server error: {}", hostId, error);
                    }
                });
        if (settings.user != null) {
            b.userInfo(settings.user, settings.password);
        }
        if (settings.token != null) {
            b.token(settings.token.toCharArray());
        }
        if (settings.credentialsFile != null) {
            b.credentialPath(settings.credentialsFile);
        }
        if (settings.sslContext != null) {
            b.sslContext(settings.sslContext);
        }
        Connection c = Nats.connect(b.build());
        connection = c;
        // Dispatcher threads are jnats's: records are decoded and handed to the host's lanes, nothing more.
        Dispatcher d = c.createDispatcher(msg -> onRecord(msg.getSubject(), msg.getData()));
        channels = new NatsChannels(subjects, c, d, settings.connectTimeout, timer(), this::fromChannel);
        d.subscribe(subjects.inbox(hostId));
        d.subscribe(subjects.hosts());
        NoResponders nr = new NoResponders(hostId, subjects.noRespondersPrefix(hostId), liveness,
                settings.livenessTimeout.dividedBy(2));
        noResponders = nr;
        c.createDispatcher(msg -> {
            if (!closed) {
                nr.onAnswer(msg);
            }
        }).subscribe(nr.subscription());
        c.publish(subjects.hosts(), BackplaneFrames.liveness(hostId, incarnation, true)
                .getBytes(StandardCharsets.UTF_8));
    }

    private void onConnectionEvent(Connection c, ConnectionListener.Events e) {
        if (e == ConnectionListener.Events.DISCONNECTED) {
            LOG.warn("nats backplane {}: disconnected from {}", hostId, c.getConnectedUrl());
        } else if (e == ConnectionListener.Events.RECONNECTED) {
            reconnects.increment();
            LOG.info("nats backplane {}: reconnected to {}", hostId, c.getConnectedUrl());
            liveness.brokerAway();
        }
    }

    private void onRecord(String subject, byte[] data) {
        if (!subject.equals(subjects.hosts())) {
            fromInbox(data);
        } else if (fromLiveness(new String(data, StandardCharsets.UTF_8))) {
            // A newcomer learns of this host now rather than at the next heartbeat.
            publishLiveness(true);
        }
    }

    @Override
    public boolean nativeChannels() {
        return true;
    }

    /** Subjects map token by token, so NATS matches wildcards exactly as the host would, and nothing more. */
    @Override
    public CompletableFuture<Void> subscribe(String pattern) {
        return channels.subscribe(pattern);
    }

    @Override
    public void unsubscribe(String pattern) {
        channels.unsubscribe(pattern);
    }

    @Override
    public boolean nativeQueueGroups() {
        return true;
    }

    /** A NATS queue subscription: the server gives each message to one member of the queue in the whole network. */
    @Override
    public CompletableFuture<Void> subscribe(String pattern, String group) {
        return channels.subscribe(pattern, group);
    }

    @Override
    public void unsubscribe(String pattern, String group) {
        channels.unsubscribe(pattern, group);
    }

    @Override
    protected SendStatus toChannel(String subject, byte[] record) {
        return publish(channelSubjects.of(subject), null, record);
    }

    private void heartbeat() {
        if (closed) {
            return;
        }
        Connection c = connection;
        if (c == null || c.getStatus() != Connection.Status.CONNECTED) {
            liveness.brokerAway();
            return;
        }
        publishLiveness(true);
        liveness.sweep();
    }

    private void publishLiveness(boolean up) {
        Connection c = connection;
        try {
            if (c != null) {
                c.publish(subjects.hosts(), BackplaneFrames.liveness(hostId, incarnation, up)
                        .getBytes(StandardCharsets.UTF_8));
            }
        } catch (RuntimeException e) {
            LOG.debug("nats backplane {}: heartbeat not published: {}", hostId, e.toString());
        }
    }

    @Override
    protected SendStatus toInbox(String to, byte[] record) {
        NoResponders nr = noResponders;
        return publish(subjects.inbox(to), nr == null ? null : nr.replyFor(to), record);
    }

    private SendStatus publish(String subject, String replyTo, byte[] record) {
        if (closed) {
            return SendStatus.CLOSED;
        }
        Connection c = connection;
        if (c == null || c.getStatus() != Connection.Status.CONNECTED) {
            return SendStatus.NOT_CONNECTED;
        }
        try {
            c.publish(subject, replyTo, record);
        } catch (IllegalStateException e) {
            backPressured.increment();
            return SendStatus.BACK_PRESSURED;
        }
        published.increment();
        return SendStatus.QUEUED;
    }

    @Override
    public CompletableFuture<Void> close() {
        synchronized (this) {
            if (closed) {
                return CompletableFuture.completedFuture(null);
            }
            closed = true;
        }
        stopTimer();
        return CompletableFuture.runAsync(() -> {
            Connection c = connection;
            if (c == null) {
                return;
            }
            try {
                if (c.getStatus() == Connection.Status.CONNECTED && hostId != null) {
                    publishLiveness(false);
                    c.flush(Duration.ofSeconds(2));
                }
            } catch (Exception e) {
                LOG.debug("nats backplane {}: goodbye not delivered: {}", hostId, e.toString());
            }
            try {
                c.close();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        });
    }

    /** Drops the connection without a goodbye, as a crashed process would (tests of crash detection). */
    void abandon() throws InterruptedException {
        stopTimer();
        Connection c = connection;
        if (c != null) {
            c.close();
        }
    }

    /**
     * Counters: published, malformed, rejected (too large), backPressured, noResponders (hosts found gone),
     * reconnects (to the same server or, on a cluster, to another).
     */
    @Override
    public Map<String, Long> metrics() {
        Map<String, Long> m = super.metrics();
        m.put("backPressured", backPressured.sum());
        m.put("reconnects", reconnects.sum());
        NoResponders nr = noResponders;
        m.put("noResponders", nr == null ? 0 : nr.found());
        return m;
    }

    @Override
    public String toString() {
        return "NatsBackplane{" + settings.uri + ", namespace " + settings.namespace + "}";
    }

    /** Settings; see {@link Builder} for the defaults. */
    public record Settings(String uri, String namespace, Duration heartbeat, Duration livenessTimeout,
                           Duration discoveryWindow, Duration connectTimeout, Duration reconnectWait,
                           long reconnectBufferBytes, int maxOutgoing, int maxFrameSize, String user, String password,
                           String token, String credentialsFile, SSLContext sslContext) {
    }

    /** Builds a {@link NatsBackplane}. */
    public static final class Builder extends BrokerBackplane.Builder<Builder> {
        private String uri = "nats://127.0.0.1:4222";
        private Duration discoveryWindow = Duration.ofMillis(200);
        private Duration connectTimeout = Duration.ofSeconds(5);
        private Duration reconnectWait = Duration.ofMillis(250);
        private long reconnectBufferBytes = 8L << 20;
        private int maxOutgoing = 65_536;
        private String user;
        private String password;
        private String token;
        private String credentialsFile;
        private SSLContext sslContext;

        Builder() {
        }

        /**
         * {@code nats://host:port} (or {@code tls://host:port}); user and password may be in the URI. Several servers
         * of one cluster may be given, separated by commas: the host connects to one and moves to another when it
         * fails (it also learns the cluster's other servers from the one it reached).
         */
        public Builder uri(String uri) {
            for (String one : Objects.requireNonNull(uri, "uri").split(",")) {
                URI u = URI.create(one.trim());
                if (!"nats".equals(u.getScheme()) && !"tls".equals(u.getScheme())) {
                    throw new IllegalArgumentException("uri: nats:// or tls://, was " + uri);
                }
            }
            this.uri = uri;
            return this;
        }

        /** How long {@link #start} waits for the other hosts' answers to its arrival (default 200 ms; 0: none). */
        public Builder discoveryWindow(Duration window) {
            if (Objects.requireNonNull(window, "window").isNegative()) {
                throw new IllegalArgumentException("discoveryWindow: must not be negative, was " + window);
            }
            this.discoveryWindow = window;
            return this;
        }

        /** How long connecting and confirming a subscription may take (default 5 s). */
        public Builder connectTimeout(Duration timeout) {
            this.connectTimeout = positive(timeout, "connectTimeout");
            return this;
        }

        /** The pause between reconnect attempts (default 250 ms). */
        public Builder reconnectWait(Duration wait) {
            this.reconnectWait = positive(wait, "reconnectWait");
            return this;
        }

        /** Bytes jnats keeps for publishes made while it reconnects (default 8 MiB). */
        public Builder reconnectBufferBytes(long bytes) {
            this.reconnectBufferBytes = bytes;
            return this;
        }

        /** jnats' outgoing queue, in messages (default 65,536). */
        public Builder maxOutgoing(int messages) {
            this.maxOutgoing = messages;
            return this;
        }

        public Builder userInfo(String user, String password) {
            this.user = Objects.requireNonNull(user, "user");
            this.password = Objects.requireNonNull(password, "password");
            return this;
        }

        public Builder token(String token) {
            this.token = Objects.requireNonNull(token, "token");
            return this;
        }

        /** A NATS credentials file (JWT + NKey seed). */
        public Builder credentials(String path) {
            this.credentialsFile = Objects.requireNonNull(path, "path");
            return this;
        }

        public Builder tls(SSLContext context) {
            this.sslContext = Objects.requireNonNull(context, "context");
            return this;
        }

        private static Duration positive(Duration d, String name) {
            if (Objects.requireNonNull(d, name).isNegative() || d.isZero()) {
                throw new IllegalArgumentException(name + ": must be positive, was " + d);
            }
            return d;
        }

        /** A subject prefix: no wildcards or spaces (hosts with different namespaces never see each other). */
        @Override
        public Builder namespace(String namespace) {
            if (namespace != null && (namespace.contains("*") || namespace.contains(">") || namespace.contains(" "))) {
                throw new IllegalArgumentException("namespace: a subject prefix without wildcards, was " + namespace);
            }
            return super.namespace(namespace);
        }

        public NatsBackplane build() {
            check();
            if (maxOutgoing < 1) {
                throw new IllegalArgumentException("maxOutgoing: at least 1");
            }
            return new NatsBackplane(new Settings(uri, namespace, heartbeat, livenessTimeout, discoveryWindow,
                    connectTimeout, reconnectWait, reconnectBufferBytes, maxOutgoing, maxFrameSize, user, password,
                    token, credentialsFile, sslContext));
        }
    }
}

package io.meshbus.bus;

import io.meshbus.message.Message;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/** Test helpers: hosts on one transport with fast heartbeats, closed after each test. */
final class Hosts implements AutoCloseable {
    static final Duration WAIT = Duration.ofSeconds(20);

    final String scheme;
    private final List<Host> hosts = new ArrayList<>();

    Hosts(String scheme) {
        this.scheme = scheme;
    }

    /** "tcp" or "mem", with "+io" for the fast path (deliverOnIoThread). */
    String listenUri() {
        return scheme.startsWith("tcp") ? "tcp://127.0.0.1:0" : "mem://0";
    }

    static String unique(String prefix) {
        return prefix + "-" + UUID.randomUUID().toString().substring(0, 8);
    }

    HostOptions.Builder builder(String id) {
        return Host.builder().id(id).listen(listenUri()).reconnectDelay(Duration.ofMillis(50))
                .deliverOnIoThread(scheme.endsWith("+io"))
                .node(n -> n.heartbeatInterval(Duration.ofMillis(200)).idleTimeout(Duration.ofSeconds(2)));
    }

    Host start(HostOptions.Builder b) {
        Host h = b.build();
        hosts.add(h);
        h.start().orTimeout(10, TimeUnit.SECONDS).join();
        return h;
    }

    Host start(String id) {
        return start(builder(id));
    }

    Host start() {
        return start(unique("h"));
    }

    static void join(Host h, Host seed) {
        h.join(seed.info().toString()).orTimeout(20, TimeUnit.SECONDS).join();
    }

    @Override
    public void close() {
        for (Host h : hosts) {
            h.close().orTimeout(15, TimeUnit.SECONDS).exceptionally(e -> null).join();
        }
    }

    /** Records a peer's messages. */
    static final class Inbox implements PeerListener {
        record Got(String from, Message message) {
        }

        final BlockingQueue<Got> got = new LinkedBlockingQueue<>();

        static Inbox of(Peer p) {
            Inbox i = new Inbox();
            p.onMessage(i);
            return i;
        }

        @Override
        public void onMessage(String from, Message message) {
            got.add(new Got(from, message));
        }

        Got next() throws InterruptedException {
            Got g = got.poll(WAIT.toMillis(), TimeUnit.MILLISECONDS);
            if (g == null) {
                throw new AssertionError("no message within " + WAIT);
            }
            return g;
        }
    }
}

package io.meshbus.node;

import io.meshbus.message.Message;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/** Test helpers: nodes on a transport, closed after each test, and a listener that records everything. */
final class Nodes implements AutoCloseable {
    static final Duration WAIT = Duration.ofSeconds(10);

    final String scheme;
    private final List<Node> nodes = new ArrayList<>();

    Nodes(String scheme) {
        this.scheme = scheme;
    }

    /** "tcp" or "mem", with "+io" for listeners on the I/O thread (deliverOnIoThread). */
    String listenUri() {
        return scheme.startsWith("tcp") ? "tcp://127.0.0.1:0" : "mem://0";
    }

    boolean onIoThread() {
        return scheme.endsWith("+io");
    }

    static String uniqueId(String prefix) {
        return prefix + "-" + UUID.randomUUID().toString().substring(0, 8);
    }

    NodeOptions.Builder builder(String id) {
        return Node.builder(id).listen(listenUri()).deliverOnIoThread(onIoThread());
    }

    Node start(NodeOptions.Builder b) {
        Node n = b.build();
        nodes.add(n);
        n.start().orTimeout(10, TimeUnit.SECONDS).join();
        return n;
    }

    Node start(String id) {
        return start(builder(id));
    }

    static Recorder record(Node n) {
        Recorder r = new Recorder();
        n.onMessage(r);
        n.addListener(r);
        return r;
    }

    @Override
    public void close() {
        for (Node n : nodes) {
            n.close().orTimeout(15, TimeUnit.SECONDS).join();
        }
    }

    /** Records messages and events in queues a test can wait on. */
    static final class Recorder implements MessageListener, NodeListener {
        record Received(String from, Message message, String thread) {
        }

        final BlockingQueue<Received> messages = new LinkedBlockingQueue<>();
        final BlockingQueue<ConnectEvent> connects = new LinkedBlockingQueue<>();
        final BlockingQueue<DisconnectEvent> disconnects = new LinkedBlockingQueue<>();

        @Override
        public void onMessage(String from, Message message) {
            messages.add(new Received(from, message, Thread.currentThread().getName()));
        }

        @Override
        public void onConnect(ConnectEvent event) {
            connects.add(event);
        }

        @Override
        public void onDisconnect(DisconnectEvent event) {
            disconnects.add(event);
        }

        Received nextMessage() throws InterruptedException {
            return poll(messages);
        }

        ConnectEvent nextConnect() throws InterruptedException {
            return poll(connects);
        }

        DisconnectEvent nextDisconnect() throws InterruptedException {
            return poll(disconnects);
        }

        static <T> T poll(BlockingQueue<T> q) throws InterruptedException {
            T t = q.poll(WAIT.toMillis(), TimeUnit.MILLISECONDS);
            if (t == null) {
                throw new AssertionError("nothing arrived within " + WAIT);
            }
            return t;
        }
    }
}

package io.meshbus.node;

import static org.assertj.core.api.Assertions.assertThat;

import io.meshbus.error.PeerUnreachableException;
import io.meshbus.internal.SerialExecutor;
import io.meshbus.message.Message;
import io.netty.channel.embedded.EmbeddedChannel;
import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.PriorityQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.FutureTask;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The watchdog alone, on a fake clock: what it re-dials and when, when it gives a remote up, and what it fails. No
 * sockets and no threads; the node it works for is never started.
 */
class ReconnectorTest {
    static final URI ADDRESS = URI.create("tcp://127.0.0.1:1");
    static final Duration DELAY = Duration.ofMillis(100);
    static final Duration GIVE_UP = Duration.ofSeconds(1);

    /** A scheduler whose time moves only when the test says so. */
    static final class FakeTime implements Scheduler {
        record Due(long at, long seq, FutureTask<Void> task) {
        }

        private final PriorityQueue<Due> due = new PriorityQueue<>((a, b) -> a.at != b.at
                ? Long.compare(a.at, b.at) : Long.compare(a.seq, b.seq));
        long now = 1_000_000_000L;
        private long seq;

        @Override
        public FutureTask<Void> schedule(Runnable task, long delayNanos) {
            FutureTask<Void> t = new FutureTask<>(task, null);
            due.add(new Due(now + delayNanos, seq++, t));
            return t;
        }

        void advance(Duration d) {
            long until = now + d.toNanos();
            while (!due.isEmpty() && due.peek().at <= until) {
                Due next = due.poll();
                now = next.at;
                next.task.run();
            }
            now = until;
        }

        int pending() {
            return (int) due.stream().filter(d -> !d.task.isDone()).count();
        }
    }

    final FakeTime time = new FakeTime();
    final Node node = Node.builder("a-node").executor(Runnable::run).reconnectDelay(Delay.constant(DELAY))
            .reconnectGiveUp(GIVE_UP).build();
    final NodeOptions options = node.options();
    final NodeMetrics metrics = node.metrics;
    final Remotes remotes = new Remotes(options);
    final NodeEvents events = new NodeEvents("a-node", metrics, new SerialExecutor(Runnable::run));
    final RemoteDrainer drainer = new RemoteDrainer(options, metrics, remotes, new Completions(Runnable::run));
    final List<CompletableFuture<String>> dials = new ArrayList<>();
    final List<NodeListener.DisconnectEvent> disconnects = new ArrayList<>();
    boolean closed;
    final Reconnector reconnector = new Reconnector("a-node", options, metrics, remotes, events, drainer, time,
            () -> time.now, () -> closed, (uri, expected, keep, replace) -> {
                assertThat(uri).isEqualTo(ADDRESS);
                assertThat(expected).isEqualTo("b-node");
                assertThat(keep).isTrue();
                assertThat(replace).isFalse();
                CompletableFuture<String> f = new CompletableFuture<>();
                dials.add(f);
                return f;
            });
    final EmbeddedChannel ch = new EmbeddedChannel();

    ReconnectorTest() {
        events.addListener(new NodeListener() {
            @Override
            public void onDisconnect(DisconnectEvent event) {
                disconnects.add(event);
            }
        });
    }

    @AfterEach
    void close() {
        ch.finishAndReleaseAll();
    }

    /** A remote "b-node" with one queued message (its future returned) and {@code link} active. */
    private CompletableFuture<Void> linked(NodeLink link, boolean keptLocal, boolean keptRemote) {
        Remote r = remotes.obtain("b-node");
        CompletableFuture<Void> queued = new CompletableFuture<>();
        drainer.enqueue(r, Message.of("waiting"), queued);
        synchronized (r) {
            r.keptLocal = keptLocal;
            r.keptRemote = keptRemote;
            r.address = ADDRESS;
            r.active = link;
        }
        link.remote = r;
        return queued;
    }

    private NodeLink link() {
        return new NodeLink(node, ch, null);
    }

    @Test
    void shouldRedialAKeptLinkAfterEachDelayAndGiveUpAtTheGiveUpTime() {
        NodeLink link = link();
        CompletableFuture<Void> queued = linked(link, true, false);

        reconnector.linkDown(link, new PeerUnreachableException("cut"));

        assertThat(disconnects).singleElement().matches(NodeListener.DisconnectEvent::reconnecting);
        assertThat(dials).isEmpty();
        time.advance(DELAY);
        assertThat(dials).hasSize(1);
        assertThat(queued).isNotDone();
        for (int attempt = 2; attempt <= 5; attempt++) {
            dials.get(dials.size() - 1).completeExceptionally(new PeerUnreachableException("refused"));
            time.advance(DELAY.minusMillis(1));
            assertThat(dials).hasSize(attempt - 1);
            time.advance(Duration.ofMillis(1));
            assertThat(dials).hasSize(attempt);
        }
        assertThat(metrics.reconnectAttempts()).isEqualTo(5);

        time.advance(GIVE_UP);

        assertThat(remotes.find("b-node")).isNull();
        assertThat(metrics.snapshot().get("givenUp")).isEqualTo(1);
        assertThat(disconnects).hasSize(2);
        assertThat(disconnects.get(1).reconnecting()).isFalse();
        assertThat(disconnects.get(1).cause()).isInstanceOf(PeerUnreachableException.class)
                .hasMessageContaining("gave up on node b-node after 1000 ms");
        assertThat(queued).isCompletedExceptionally();
        dials.get(dials.size() - 1).completeExceptionally(new PeerUnreachableException("refused"));
        int dialled = dials.size();
        time.advance(Duration.ofSeconds(10));
        assertThat(dials).as("nothing is re-dialled once given up").hasSize(dialled);
    }

    @Test
    void shouldForgetARemoteNobodyKeepsAtOnceAndFailItsQueue() {
        NodeLink link = link();
        CompletableFuture<Void> queued = linked(link, false, false);

        reconnector.linkDown(link, new PeerUnreachableException("cut"));

        assertThat(remotes.find("b-node")).isNull();
        assertThat(disconnects).singleElement().matches(e -> !e.reconnecting());
        assertThat(queued).failsWithin(0, TimeUnit.SECONDS).withThrowableThat()
                .withCauseInstanceOf(PeerUnreachableException.class).withMessageContaining("link to node b-node lost");
        assertThat(time.pending()).isZero();
    }

    @Test
    void shouldWaitWithoutDiallingForALinkOnlyTheOtherSideKeeps() {
        NodeLink link = link();
        CompletableFuture<Void> queued = linked(link, false, true);

        reconnector.linkDown(link, new PeerUnreachableException("cut"));
        time.advance(GIVE_UP.minusMillis(1));

        assertThat(dials).isEmpty();
        assertThat(remotes.find("b-node")).isNotNull();
        assertThat(queued).isNotDone();
        time.advance(Duration.ofMillis(1));
        assertThat(remotes.find("b-node")).isNull();
        assertThat(queued).isCompletedExceptionally();
    }

    @Test
    void shouldApplyAGiveUpOnlyToTheOutageItWasArmedFor() {
        NodeLink first = link();
        linked(first, false, true);
        reconnector.linkDown(first, new PeerUnreachableException("cut"));
        time.advance(GIVE_UP.dividedBy(2));

        // The link came back (as the arbiter would make it), then broke again later.
        Remote r = remotes.find("b-node");
        NodeLink second = link();
        synchronized (r) {
            r.active = second;
            r.downSince = 0;
        }
        second.remote = r;
        reconnector.linkDown(second, new PeerUnreachableException("cut again"));
        time.advance(GIVE_UP.dividedBy(2));

        assertThat(remotes.find("b-node")).as("the first outage's give-up does not end the second").isSameAs(r);
        time.advance(GIVE_UP.dividedBy(2));
        assertThat(remotes.find("b-node")).isNull();
        assertThat(metrics.snapshot().get("givenUp")).isEqualTo(1);
    }

    @Test
    void shouldIgnoreALinkThatIsNotItsRemotesActiveOne() {
        NodeLink active = link();
        linked(active, true, false);
        NodeLink replaced = link();
        replaced.remote = remotes.find("b-node");

        reconnector.linkDown(replaced, new PeerUnreachableException("old link closed"));

        assertThat(disconnects).isEmpty();
        assertThat(time.pending()).isZero();
        assertThat(remotes.find("b-node").active).isSameAs(active);
    }

    @Test
    void shouldNotWaitForAnythingOnceTheNodeIsClosing() {
        NodeLink link = link();
        CompletableFuture<Void> queued = linked(link, true, true);
        closed = true;

        reconnector.linkDown(link, new PeerUnreachableException("cut"));

        assertThat(remotes.find("b-node")).isNull();
        assertThat(queued).isCompletedExceptionally();
        assertThat(time.pending()).isZero();
    }
}

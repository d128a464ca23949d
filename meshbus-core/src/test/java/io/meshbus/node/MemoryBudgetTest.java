package io.meshbus.node;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.meshbus.chaos.ChaosProxy;
import io.meshbus.error.BackPressureException;
import io.meshbus.error.PeerUnreachableException;
import io.meshbus.message.Message;
import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** One budget for every queue of a node: remotes that are down give way to the others, then sends are refused. */
class MemoryBudgetTest {
    private static final Duration WAIT = Duration.ofSeconds(20);
    private final List<Node> nodes = new ArrayList<>();
    private final List<ChaosProxy> proxies = new ArrayList<>();

    @AfterEach
    void stop() {
        proxies.forEach(ChaosProxy::close);
        nodes.forEach(n -> n.close().orTimeout(15, TimeUnit.SECONDS).exceptionally(e -> null).join());
    }

    private Node start(NodeOptions.Builder b) {
        Node n = b.build();
        nodes.add(n);
        n.start().orTimeout(10, TimeUnit.SECONDS).join();
        return n;
    }

    private static String id(String p) {
        return p + "-" + UUID.randomUUID().toString().substring(0, 8);
    }

    @Test
    void shouldShareOneBoundAcrossQueues() {
        MemoryBudget budget = new MemoryBudget(1_000);
        SendQueue a = new SendQueue(100, 10_000, budget);
        SendQueue b = new SendQueue(100, 10_000, budget);
        SendQueue.Evictions none = (item, f) -> { };
        assertThat(a.offer("x", 600, null, false, none)).isEqualTo(SendQueue.OK_WAS_EMPTY);
        assertThat(b.offer("y", 500, null, false, none)).isEqualTo(SendQueue.OVER_BUDGET);
        assertThat(b.size()).isZero();
        assertThat(budget.refusals()).isEqualTo(1);
        // DROP_OLDEST makes room from its own queue only.
        assertThat(a.offer("z", 500, null, true, none)).isEqualTo(SendQueue.DROPPED_OLDEST);
        assertThat(budget.used()).isEqualTo(500);
        a.drain(new Object[10], new CompletableFuture<?>[10], 10);
        assertThat(budget.used()).isZero();
        assertThat(b.offer("y", 500, null, false, none)).isEqualTo(SendQueue.OK_WAS_EMPTY);
        assertThat(budget.used()).isEqualTo(500);
    }

    @Test
    void shouldReleaseTheQueuesOfRemotesThatAreDownBeforeRefusingAnyone() throws Exception {
        Node sender = start(Node.builder(id("budget-a")).maxFrameSize(64 * 1024).memoryBudget(256 * 1024)
                .reconnectDelay(Delay.constant(Duration.ofMillis(50))).heartbeatInterval(Duration.ofMillis(100))
                .idleTimeout(Duration.ofSeconds(1)).listen("tcp://127.0.0.1:0"));
        Node b = start(Node.builder(id("budget-b")).listen("tcp://127.0.0.1:0"));
        Node d = start(Node.builder(id("budget-d")).listen("tcp://127.0.0.1:0"));
        ChaosProxy toB = ChaosProxy.to(b.info());
        ChaosProxy toD = ChaosProxy.to(d.info());
        proxies.add(toB);
        proxies.add(toD);
        sender.connect(URI.create(toB.uri()), true).get(10, TimeUnit.SECONDS);
        sender.connect(URI.create(toD.uri()), true).get(10, TimeUnit.SECONDS);
        for (ChaosProxy p : proxies) {
            p.refuse(true);
            p.cut();
        }
        await().atMost(WAIT).until(() -> !sender.isConnected(b.id()) && !sender.isConnected(d.id()));

        byte[] chunk = new byte[50 * 1024];
        List<CompletableFuture<Void>> toBWaiting = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            toBWaiting.add(sender.sendAsync(b.id(), Message.of(chunk)));
        }
        assertThat(sender.memoryBudget().used()).isGreaterThan(150 * 1024);
        // D's messages do not fit beside B's: B is down too, so its queue goes, typed, and D's is taken.
        List<CompletableFuture<Void>> toDWaiting = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            toDWaiting.add(sender.sendAsync(d.id(), Message.of(chunk)));
        }
        for (CompletableFuture<Void> f : toBWaiting) {
            assertThatThrownBy(() -> f.get(10, TimeUnit.SECONDS)).hasCauseInstanceOf(PeerUnreachableException.class)
                    .hasMessageContaining("memory budget");
        }
        assertThat(toDWaiting).noneMatch(CompletableFuture::isDone);
        assertThat(sender.metrics().snapshot().get("queuesShed")).isEqualTo(1L);
        // Nothing else to release: past the budget, a send is refused as back-pressure.
        List<CompletableFuture<Void>> more = new ArrayList<>();
        for (int i = 0; i < 4; i++) {
            more.add(sender.sendAsync(d.id(), Message.of(chunk)));
        }
        assertThat(more).anySatisfy(f -> assertThatThrownBy(() -> f.get(10, TimeUnit.SECONDS))
                .hasCauseInstanceOf(BackPressureException.class).hasMessageContaining("memory budget"));
        assertThat(sender.metrics().snapshot().get("memoryBudgetRefusals")).isPositive();
        assertThat(sender.memoryBudget().used()).isLessThanOrEqualTo(256 * 1024);

        // D comes back: its queue drains and the budget is free again.
        toD.refuse(false);
        for (CompletableFuture<Void> f : toDWaiting) {
            f.get(20, TimeUnit.SECONDS);
        }
        await().atMost(WAIT).until(() -> sender.memoryBudget().used() == 0);
    }
}

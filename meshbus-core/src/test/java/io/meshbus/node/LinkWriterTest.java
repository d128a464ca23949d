package io.meshbus.node;

import static org.assertj.core.api.Assertions.assertThat;

import io.meshbus.error.FrameTooLargeException;
import io.meshbus.internal.SerialExecutor;
import io.meshbus.message.Message;
import io.meshbus.wire.WireFormat;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The writer alone on an embedded channel: how queued items become writes, and when their futures complete. */
class LinkWriterTest {
    static final int MAX_FRAME = 64 * 1024;
    final EmbeddedChannel ch = new EmbeddedChannel();
    final NodeMetrics metrics = new NodeMetrics();
    final LinkWriter writer = new LinkWriter(ch, MAX_FRAME, metrics, new Completions(Runnable::run), () -> "b-node");
    final Remote remote = new Remote("b-node", 1024, Long.MAX_VALUE, new MemoryBudget(Long.MAX_VALUE),
            new SerialExecutor(Runnable::run));

    @AfterEach
    void close() {
        ch.finishAndReleaseAll();
    }

    private CompletableFuture<Void> queue(Object item, int weight) {
        CompletableFuture<Void> f = new CompletableFuture<>();
        remote.queue.offer(item, weight, f, false, (i, g) -> { });
        return f;
    }

    /** Every frame in the written buffers, decoded, one list per write. */
    private List<List<Object>> writes() {
        List<List<Object>> out = new ArrayList<>();
        for (ByteBuf b; (b = ch.readOutbound()) != null; ) {
            List<Object> frames = new ArrayList<>();
            while (b.isReadable()) {
                frames.add(WireFormat.read(b, b.readInt()));
            }
            b.release();
            out.add(frames);
        }
        return out;
    }

    @Test
    void shouldWriteABurstOfSmallMessagesAsOneBufferAndCompleteEveryFuture() {
        List<CompletableFuture<Void>> futures = new ArrayList<>();
        for (int i = 0; i < 10; i++) {
            futures.add(queue(Message.of("m" + i), 32));
        }

        writer.writeFrom(remote);

        List<List<Object>> writes = writes();
        assertThat(writes).hasSize(1);
        assertThat(writes.get(0)).hasSize(10).allMatch(f -> f instanceof Message);
        assertThat(((Message) writes.get(0).get(9)).payloadText()).isEqualTo("m9");
        assertThat(futures).allMatch(f -> f.isDone() && !f.isCompletedExceptionally());
        assertThat(metrics.messagesSent()).isEqualTo(10);
    }

    @Test
    void shouldWriteALargeSharedFrameAsItIsBetweenTheBatchesAroundIt() {
        ByteBuf big = Unpooled.buffer();
        WireFormat.writeData(big, Message.of(new byte[20_000]), MAX_FRAME);
        queue(Message.of("before"), 32);
        CompletableFuture<Void> shared = queue(big, big.readableBytes());
        queue(Message.of("after"), 32);

        writer.writeFrom(remote);

        List<List<Object>> writes = writes();
        assertThat(writes).hasSize(3);
        assertThat(((Message) writes.get(0).get(0)).payloadText()).isEqualTo("before");
        assertThat(((Message) writes.get(1).get(0)).payloadSize()).isEqualTo(20_000);
        assertThat(((Message) writes.get(2).get(0)).payloadText()).isEqualTo("after");
        assertThat(shared).isCompleted();
    }

    @Test
    void shouldFailOnlyTheMessageThatDoesNotFitInAFrame() {
        CompletableFuture<Void> tooBig = queue(Message.of(new byte[MAX_FRAME]), MAX_FRAME);
        CompletableFuture<Void> fine = queue(Message.of("fine"), 32);

        writer.writeFrom(remote);

        assertThat(tooBig).isCompletedExceptionally();
        assertThat(tooBig.handle((v, e) -> e).join()).isInstanceOf(FrameTooLargeException.class);
        assertThat(fine).isCompleted();
        assertThat(metrics.framesTooLarge()).isEqualTo(1);
        assertThat(writes()).singleElement().asList().hasSize(1);
    }
}

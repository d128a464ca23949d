package io.meshbus.bench.jmh;

import io.meshbus.codec.ContentType;
import io.meshbus.message.Headers;
import io.meshbus.message.Message;
import io.meshbus.wire.Protocol;
import io.meshbus.wire.WireFormat;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.TearDown;

/**
 * The cost of the DATA frame codec alone, one message per operation: {@link WireFormat#writeData} into a reused
 * 64 KiB buffer, and {@link WireFormat#read} of one encoded frame (length prefix first, as the frame decoder does).
 * Heap and direct buffers both, since the node's links may use either.
 */
public class WireBench extends JmhDefaults {
    @Param({"100"})
    public int size;

    @Param({"heap", "direct"})
    public String buffer;

    private Message message;
    private ByteBuf out;
    private ByteBuf frame;

    @Setup(Level.Trial)
    public void setUp() {
        message = Message.ofBytes(Headers.EMPTY, ContentType.BYTES, new byte[size]);
        out = allocate();
        frame = allocate();
        WireFormat.writeData(frame, message, Protocol.DEFAULT_MAX_FRAME_SIZE);
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        out.release();
        frame.release();
    }

    @Benchmark
    public int writeData() {
        out.clear();
        WireFormat.writeData(out, message, Protocol.DEFAULT_MAX_FRAME_SIZE);
        return out.writerIndex();
    }

    @Benchmark
    public Object read() {
        frame.readerIndex(0);
        int length = frame.readInt();
        return WireFormat.read(frame, length);
    }

    private ByteBuf allocate() {
        int capacity = 64 * 1024;
        return buffer.equals("direct") ? Unpooled.directBuffer(capacity) : Unpooled.buffer(capacity);
    }
}

package io.meshbus.wire;

import io.meshbus.error.FrameTooLargeException;
import io.meshbus.error.ProtocolViolationException;
import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.ByteToMessageDecoder;
import java.util.List;

/**
 * Splits the byte stream into frames and decodes them. Linear in the bytes received however they are split: the
 * cumulation keeps only unread bytes, and an incomplete frame costs one 4-byte peek per read, never a re-scan.
 * The length prefix is checked against the limit before a single byte of the frame is buffered, so an oversized
 * frame is refused at its first read. Errors are {@link ProtocolViolationException}s passed up the pipeline as
 * exception events (the link handler closes the link and counts the cause); after one, the rest of the stream is
 * discarded. The link handler asks for the same with {@link #discardRest} when it refuses a frame itself.
 *
 * <p>Threads: the channel's event loop only.
 */
public final class FrameDecoder extends ByteToMessageDecoder {
    private final int maxFrameSize;
    private final StringCache strings = new StringCache();
    private boolean failed;

    public FrameDecoder(int maxFrameSize) {
        if (maxFrameSize < Protocol.MIN_MAX_FRAME_SIZE) {
            throw new IllegalArgumentException("maxFrameSize: must be at least " + Protocol.MIN_MAX_FRAME_SIZE);
        }
        this.maxFrameSize = maxFrameSize;
    }

    /**
     * Decodes nothing more: the bytes buffered and every byte that arrives later are dropped (nothing after a refused
     * frame is read, PROTOCOL.md "Frames").
     */
    public void discardRest() {
        failed = true;
    }

    @Override
    protected void decode(ChannelHandlerContext ctx, ByteBuf in, List<Object> out) {
        if (failed) {
            in.skipBytes(in.readableBytes());
            return;
        }
        try {
            while (in.readableBytes() >= Protocol.LENGTH_FIELD) {
                int at = in.readerIndex();
                long length = in.getUnsignedInt(at);
                if (length > maxFrameSize) {
                    throw new FrameTooLargeException("incoming frame of " + length
                            + " bytes is larger than the maximum frame size " + maxFrameSize);
                }
                if (length == 0) {
                    throw new ProtocolViolationException("empty frame (length 0)");
                }
                if (in.readableBytes() - Protocol.LENGTH_FIELD < length) {
                    return;
                }
                in.skipBytes(Protocol.LENGTH_FIELD);
                out.add(WireFormat.read(in, (int) length, strings));
            }
        } catch (ProtocolViolationException e) {
            failed = true;
            in.skipBytes(in.readableBytes());
            throw e;
        }
    }
}

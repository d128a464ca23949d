package io.meshbus.wire;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.MessageToByteEncoder;

/** Encodes control frames written to the pipeline. DATA frames are written pre-encoded, in batches, as ByteBufs. */
@ChannelHandler.Sharable
public final class ControlFrameEncoder extends MessageToByteEncoder<Frame> {
    public static final ControlFrameEncoder INSTANCE = new ControlFrameEncoder();

    private ControlFrameEncoder() {
        super(Frame.class);
    }

    @Override
    protected void encode(ChannelHandlerContext ctx, Frame msg, ByteBuf out) {
        WireFormat.writeControl(out, msg);
    }
}

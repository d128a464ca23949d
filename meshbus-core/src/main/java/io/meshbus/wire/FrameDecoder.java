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
 * <p>Until the handshake completes, a decoder built with a handshake limit takes only frames up to it (CREDENTIAL
 * frames up to their own maximum), and decodes one frame per call, so the link handler has acted on a frame before
 * the next one is measured. It lifts the limit when told ({@link #handshakeDone}), or by itself right after an ACCEPT
 * when it decodes for a dialler: DATA may follow the ACCEPT in the same read while the dialler's authenticator still
 * decides.
 *
 * <p>Threads: the channel's event loop only.
 */
public final class FrameDecoder extends ByteToMessageDecoder {
    private final int maxFrameSize;
    private final int handshakeFrameSize;
    private final boolean openOnAccept;
    private final StringCache strings = new StringCache();
    private boolean failed;
    private boolean handshaking;

    /** A decoder without a handshake phase: {@code maxFrameSize} applies from the first frame. */
    public FrameDecoder(int maxFrameSize) {
        this(maxFrameSize, maxFrameSize, false);
        handshaking = false;
    }

    /**
     * A decoder for a node link: {@code handshakeFrameSize} (and {@link Protocol#MAX_CREDENTIAL_FRAME} for a
     * CREDENTIAL, neither above {@code maxFrameSize}) until the handshake completes, then {@code maxFrameSize}.
     *
     * @param openOnAccept lift the handshake limit right after an ACCEPT (the dialler's side)
     */
    public FrameDecoder(int maxFrameSize, int handshakeFrameSize, boolean openOnAccept) {
        if (maxFrameSize < Protocol.MIN_MAX_FRAME_SIZE) {
            throw new IllegalArgumentException("maxFrameSize: must be at least " + Protocol.MIN_MAX_FRAME_SIZE);
        }
        this.maxFrameSize = maxFrameSize;
        this.handshakeFrameSize = Math.min(handshakeFrameSize, maxFrameSize);
        this.openOnAccept = openOnAccept;
        this.handshaking = true;
    }

    /** The handshake completed: frames up to {@code maxFrameSize} from now on. */
    public void handshakeDone() {
        handshaking = false;
    }

    /**
     * Decodes nothing more: the bytes buffered and every byte that arrives later are dropped (nothing after a refused
     * frame is read, PROTOCOL.md "Frames").
     */
    public void discardRest() {
        failed = true;
    }

    private int credentialFrameSize() {
        return Math.min(Protocol.MAX_CREDENTIAL_FRAME, maxFrameSize);
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
                if (handshaking && length > handshakeFrameSize) {
                    boolean mayBeCredential = length <= credentialFrameSize();
                    if (mayBeCredential && in.readableBytes() == Protocol.LENGTH_FIELD) {
                        return; // a CREDENTIAL may be this long: the type byte decides
                    }
                    if (!mayBeCredential || in.getByte(at + Protocol.LENGTH_FIELD) != Protocol.CREDENTIAL) {
                        throw new FrameTooLargeException("incoming frame of " + length + " bytes before the"
                                + " handshake completed: at most " + handshakeFrameSize + " until then");
                    }
                }
                if (in.readableBytes() - Protocol.LENGTH_FIELD < length) {
                    return;
                }
                in.skipBytes(Protocol.LENGTH_FIELD);
                Object frame = WireFormat.read(in, (int) length, strings);
                out.add(frame);
                if (handshaking) {
                    if (openOnAccept && frame instanceof Frame.Accept) {
                        handshaking = false;
                    } else {
                        return; // one frame at a time: the link acts on it before the next is measured
                    }
                }
            }
        } catch (ProtocolViolationException e) {
            failed = true;
            in.skipBytes(in.readableBytes());
            throw e;
        }
    }
}

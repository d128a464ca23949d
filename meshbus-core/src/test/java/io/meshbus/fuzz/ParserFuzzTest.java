package io.meshbus.fuzz;

import com.code_intelligence.jazzer.junit.FuzzTest;
import io.meshbus.bus.BackplaneFrames;
import io.meshbus.codec.CodecException;
import io.meshbus.codec.JsonCodec;
import io.meshbus.codec.MsgpackCodec;
import io.meshbus.error.ProtocolViolationException;
import io.meshbus.message.Message;
import io.meshbus.wire.FrameDecoder;
import io.meshbus.wire.WireFormat;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.DecoderException;
import java.nio.charset.StandardCharsets;

/**
 * Every parser that reads bytes from the network, fuzzed with Jazzer. Under plain {@code mvn test} each target replays
 * its seed corpus (src/test/resources/io/meshbus/fuzz/ParserFuzzTestInputs/TARGET) as a regression test; with
 * {@code JAZZER_FUZZ=1} one target at a time is fuzzed (see the README). The rule: bad bytes give the parser's own
 * typed error, nothing else, and never hang.
 */
class ParserFuzzTest {
    @FuzzTest(maxDuration = "30s")
    void frameDecoder(byte[] input) {
        EmbeddedChannel ch = new EmbeddedChannel(new FrameDecoder(64 * 1024));
        try {
            for (int at = 0; at < input.length; at += 7) {
                ch.writeInbound(Unpooled.wrappedBuffer(input, at, Math.min(7, input.length - at)));
            }
        } catch (DecoderException e) {
            if (!(e.getCause() instanceof ProtocolViolationException)) {
                throw e;
            }
        }
        for (Object o; (o = ch.readInbound()) != null; ) {
            io.netty.util.ReferenceCountUtil.release(o);
        }
        ch.finishAndReleaseAll();
    }

    @FuzzTest(maxDuration = "30s")
    void frameBody(byte[] input) {
        if (input.length == 0) {
            return;
        }
        try {
            WireFormat.read(Unpooled.wrappedBuffer(input), input.length);
        } catch (ProtocolViolationException expected) {
            // the only failure a malformed frame may cause
        }
    }

    @FuzzTest(maxDuration = "30s")
    void msgpack(byte[] input) {
        try {
            new MsgpackCodec().decode(input, 0, input.length, Object.class);
        } catch (CodecException expected) {
            // the only failure malformed MessagePack may cause
        }
    }

    @FuzzTest(maxDuration = "30s")
    void json(byte[] input) {
        try {
            new JsonCodec().decode(input, 0, input.length, Object.class);
        } catch (CodecException expected) {
            // the only failure malformed JSON may cause
        }
    }

    @FuzzTest(maxDuration = "30s")
    void messageJson(byte[] input) {
        try {
            Message.parse(input);
        } catch (CodecException | IllegalArgumentException expected) {
            // CodecException for bad JSON; IllegalArgumentException for headers over the documented limits
        }
    }

    /** What a backplane reads from a broker: inbox and channel records, and liveness records. */
    @FuzzTest(maxDuration = "30s")
    void backplaneRecord(byte[] input) {
        try {
            BackplaneFrames.decode(input, 64 * 1024);
        } catch (ProtocolViolationException expected) {
            // the only way a malformed record may fail
        }
        BackplaneFrames.parseLiveness(new String(input, StandardCharsets.UTF_8));
    }
}

package io.meshbus.js;

import com.code_intelligence.jazzer.junit.FuzzTest;
import io.meshbus.error.ProtocolViolationException;
import io.netty.buffer.Unpooled;
import io.netty.handler.codec.http.websocketx.BinaryWebSocketFrame;
import io.netty.handler.codec.http.websocketx.TextWebSocketFrame;
import io.netty.handler.codec.http.websocketx.WebSocketFrame;

/**
 * What the browser gateway reads from a WebSocket, fuzzed with Jazzer: {@link Frames#parse} and the field accessors
 * GatewayConnection applies to its result. GatewayConnection itself is not driven: past the hello every frame needs
 * a live Host, and it turns any RuntimeException into a PROTOCOL_VIOLATION close, which would hide a crash. Under
 * plain {@code mvn test} each target replays its seeds (src/test/resources/io/meshbus/js/FrameFuzzTestInputs/TARGET);
 * with {@code JAZZER_FUZZ=1} one target is fuzzed. The rule: bad bytes give ProtocolViolationException (PROTOCOL-JS.md:
 * a malformed frame closes the connection as PROTOCOL_VIOLATION), nothing else, and never hang.
 */
class FrameFuzzTest {
    @FuzzTest(maxDuration = "30s")
    void textFrame(byte[] input) {
        check(new TextWebSocketFrame(Unpooled.wrappedBuffer(input)));
    }

    /** u32 header length, the JSON header, then the payload. */
    @FuzzTest(maxDuration = "30s")
    void binaryFrame(byte[] input) {
        check(new BinaryWebSocketFrame(Unpooled.wrappedBuffer(input)));
    }

    private static void check(WebSocketFrame frame) {
        try {
            Frames.Inbound f = Frames.parse(frame);
            // the reads GatewayConnection makes of any frame type, each on fields the browser controls
            f.text("t");
            f.number("v", -1);
            f.number("n", 0);
            f.number("r", -1);
            f.number("timeout", -1);
            f.text("token");
            f.toMessage();
            f.required("to");
        } catch (ProtocolViolationException expected) {
            // the only failure a malformed frame may cause
        } finally {
            frame.release();
        }
    }
}

package io.meshbus.route;

import io.meshbus.codec.ContentType;
import io.meshbus.message.Headers;
import io.meshbus.message.Message;
import java.nio.charset.StandardCharsets;

/**
 * The routing protocol, the same on every carrier: a request carries {@code correlationId} and {@code replyTo}; a
 * confirmed message carries {@code correlationId} and {@code confirm: 1}. The receiver answers a confirmation with a
 * RECEIVED message (uri {@code RECEIVED}, payload {@code {"msgId": original id}}, as distro) and a request with a
 * response whose {@code status} header holds the code. Public for carriers that live in other modules (the
 * {@code redis} transport), so every carrier answers alike.
 */
public final class Exchange {
    public static final String CONFIRM = "confirm";
    public static final String RECEIVED = "RECEIVED";

    private Exchange() {
    }

    public static boolean isAnswer(Message m) {
        return m.header(Headers.STATUS) != null || RECEIVED.equals(m.header(Headers.URI));
    }

    static boolean wantsConfirmation(Message m) {
        return "1".equals(m.header(CONFIRM)) && m.header(Headers.CORRELATION_ID) != null;
    }

    static boolean wantsResponse(Message m) {
        return m.header(Headers.REPLY_TO) != null && m.header(Headers.CORRELATION_ID) != null;
    }

    public static Message received(Message m) {
        return Message.of(Headers.builder().put(Headers.URI, RECEIVED)
                .put(Headers.CORRELATION_ID, m.header(Headers.CORRELATION_ID)).build(),
                java.util.Map.of("msgId", m.id().toString()));
    }

    public static Message response(Router.Outcome o, String correlationId) {
        Headers h = Headers.builder().put(Headers.STATUS, Integer.toString(o.status().code()))
                .put(Headers.CORRELATION_ID, correlationId).build();
        if (o.status() != Status.OK) {
            return Message.ofBytes(h, ContentType.TEXT, o.error().getBytes(StandardCharsets.UTF_8));
        }
        Object r = o.reply();
        if (r instanceof Message rm) {
            return rm.withHeaders(rm.headers().withAll(Headers.STATUS, "200", Headers.CORRELATION_ID,
                    correlationId));
        }
        return r == null ? Message.ofBytes(h, ContentType.BYTES, new byte[0]) : Message.of(h, r);
    }

    public static Response toResponse(Message m) {
        Status s = Status.ofCode(Integer.parseInt(m.header(Headers.STATUS)));
        return new Response(s, m, s == Status.OK ? null : m.payloadText());
    }
}

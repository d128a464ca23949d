package io.meshbus.bench;

import io.meshbus.bench.Contender.StreamSender;
import io.meshbus.codec.ContentType;
import io.meshbus.message.Headers;
import io.meshbus.message.Message;
import io.meshbus.node.SendStatus;
import java.io.IOException;
import java.util.function.Function;

/**
 * The stream sender of every Meshbus API that refuses with {@link SendStatus#BACK_PRESSURED}: a refused message is
 * offered again before a new one is made; any other refusal fails the run. What was accepted is written by the node
 * on its own, so there is nothing to flush.
 */
public final class RetryingSender implements StreamSender {
    private final String target;
    private final byte[] payload;
    private final Function<Message, SendStatus> offer;
    private final TwoJvmContender.Closer closer;
    /** Refused by the last send; offered again before a new message is made. */
    private Message pending;

    /**
     * @param target what {@code offer} sends to, for the failure's message
     * @param offer  one send of the API, for example {@code m -> node.send(remote, m)}
     */
    public RetryingSender(String target, int size, Function<Message, SendStatus> offer,
                          TwoJvmContender.Closer closer) {
        this.target = target;
        this.payload = Contender.payload(size);
        this.offer = offer;
        this.closer = closer;
    }

    @Override
    public boolean trySend() throws IOException {
        if (pending == null) {
            pending = Message.ofBytes(Headers.EMPTY, ContentType.BYTES, payload);
        }
        SendStatus s = offer.apply(pending);
        if (s.accepted()) {
            pending = null;
            return true;
        }
        if (s == SendStatus.BACK_PRESSURED) {
            return false;
        }
        throw new IOException("send to " + target + " returned " + s);
    }

    @Override
    public void flush() {
        // The node writes what it accepted on its own; nothing waits on this side.
    }

    @Override
    public void close() throws IOException {
        closer.close();
    }
}

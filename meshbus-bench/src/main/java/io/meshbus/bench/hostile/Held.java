package io.meshbus.bench.hostile;

import io.meshbus.bench.hostile.Attack.Outcome;
import java.io.IOException;
import java.net.Socket;
import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.function.IntFunction;

/**
 * Connections opened one after another and all held, each sending a first few bytes or nothing, until the host closes
 * them: the attacks on deadlines. Whatever the host does, every one is closed here at the end.
 */
final class Held {
    private Held() {
    }

    /**
     * Opens {@code count} connections to {@code at}, the {@code i}-th sending {@code first.apply(i)} (nothing for
     * null), then waits at most {@code bound} for the host to close them all.
     */
    static Outcome untilClosedByHost(URI at, int count, IntFunction<byte[]> first, Duration bound) {
        List<Socket> held = new ArrayList<>(count);
        int failed = 0;
        int closedAtOnce = 0;
        try {
            for (int i = 0; i < count; i++) {
                try {
                    Socket s = Sockets.open(at);
                    held.add(s);
                    byte[] bytes = first.apply(i);
                    if (bytes != null && !Sockets.tryWrite(s, bytes)) {
                        closedAtOnce++;
                    }
                } catch (IOException e) {
                    failed++;
                }
            }
            return new Outcome().closed(Sockets.awaitClosedByHost(held, bound), bound)
                    .seen("closed-before-write", closedAtOnce, "connections").connectsFailed(failed, count);
        } finally {
            Sockets.closeAll(held);
        }
    }
}

package io.meshbus.bench.hostile;

import io.meshbus.bench.BenchChild;
import io.meshbus.bench.Contender;
import io.meshbus.bench.Waits;
import io.meshbus.bus.ConsumerOptions;
import io.meshbus.bus.Host;
import io.meshbus.bus.Peer;
import io.meshbus.bus.SlowConsumerPolicy;
import io.meshbus.codec.ContentType;
import io.meshbus.message.Headers;
import io.meshbus.message.Message;
import io.meshbus.node.SendStatus;
import java.time.Duration;
import java.util.UUID;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.locks.LockSupport;

/**
 * A client that floods the echo peer and never reads its replies, in a JVM of its own so it can vanish as a crashed
 * client does (killed, no goodbye): a host joined to the host under attack, whose peer's listener blocks for ever on
 * the first reply, with a queue of {@link #QUEUE} and a link that stops reading after {@link #INBOUND} undelivered
 * messages, so the host's replies pile up on the host's side. Its sends go as fast as the host takes them.
 *
 * <pre>
 * args: TCP_ADDRESS LIFETIME_SECONDS
 * out:  FLOODING        once joined, and the echo peer found
 * out:  ERROR text      on any failure
 * </pre>
 */
public final class Flooder {
    static final int MESSAGE = 1024;
    private static final int QUEUE = 16;
    private static final int INBOUND = 64;

    private Flooder() {
    }

    public static void main(String[] args) {
        try {
            BenchChild.startWatchdog(Duration.ofSeconds(Long.parseLong(args[1])));
            flood(args[0]);
        } catch (Throwable t) {
            BenchChild.reply("ERROR " + t.toString().replace('\n', ' '));
            System.exit(1);
        }
    }

    private static void flood(String host) throws Exception {
        String id = "flooder-" + UUID.randomUUID().toString().substring(0, 8);
        Host h = Waits.await(Host.builder().id(id).node(n -> n.inboundLimit(INBOUND)).build().start());
        Waits.await(h.join(host));
        Peer peer = h.create(id, ConsumerOptions.of(QUEUE, SlowConsumerPolicy.BACK_PRESSURE));
        CountDownLatch never = new CountDownLatch(1);
        peer.onMessage((from, m) -> {
            try {
                never.await();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        });
        Waits.await(h.find(HostProcess.ECHO));
        BenchChild.reply("FLOODING");
        byte[] payload = Contender.payload(MESSAGE);
        while (true) {
            SendStatus s = peer.sendAndForget(HostProcess.ECHO, Message.ofBytes(Headers.EMPTY, ContentType.BYTES,
                    payload));
            if (s != SendStatus.SENT && s != SendStatus.QUEUED) {
                LockSupport.parkNanos(100_000);
            }
        }
    }
}

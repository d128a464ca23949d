package io.meshbus.cli;

import io.meshbus.message.Headers;
import io.meshbus.message.Message;
import io.meshbus.node.Node;
import io.meshbus.node.NodeListener;
import java.io.PrintWriter;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/**
 * The embedded demo: nodes in one process on loopback, no setup. Shows dialling, de-duplication of crossing dials,
 * messages both ways, multi-dispatch and a clean shutdown, printing each step.
 */
@Command(name = "demo", mixinStandardHelpOptions = true,
        description = "Run an embedded demo: three nodes on 127.0.0.1 exchange messages, then shut down.")
final class DemoCommand implements Callable<Integer> {
    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @CommandLine.Option(names = "--transport", defaultValue = "tcp",
            description = "tcp or mem (in-memory links). Default: ${DEFAULT-VALUE}.")
    String transport;

    @Override
    public Integer call() throws Exception {
        PrintWriter out = spec.commandLine().getOut();
        String listen = transport.equals("mem") ? "mem://0" : "tcp://127.0.0.1:0";
        Node alice = Node.builder("alice").listen(listen).build();
        Node bob = Node.builder("bob").listen(listen).build();
        Node carol = Node.builder("carol").listen(listen).build();
        List<Node> all = List.of(alice, bob, carol);
        CountDownLatch replies = new CountDownLatch(1);
        CountDownLatch fanout = new CountDownLatch(2);
        try {
            for (Node n : all) {
                n.start().get(10, TimeUnit.SECONDS);
                out.printf("%-6s listening on %s%n", n.id(), n.info());
                n.addListener(new NodeListener() {
                    @Override
                    public void onConnect(ConnectEvent e) {
                        out.printf("%-6s linked to %s%n", n.id(), e.id());
                        out.flush();
                    }
                });
            }
            bob.onMessage((from, m) -> {
                out.printf("bob    got %s from %s%n", m.payloadText(), from);
                if (m.header(Headers.REPLY_TO) != null) {
                    bob.send(from, Message.of(Headers.of(Headers.CORRELATION_ID, m.id().toString()),
                            Map.of("reply", "hello alice")));
                } else {
                    fanout.countDown();
                }
                out.flush();
            });
            carol.onMessage((from, m) -> {
                out.printf("carol  got %s from %s%n", m.payloadText(), from);
                out.flush();
                fanout.countDown();
            });
            alice.onMessage((from, m) -> {
                out.printf("alice  got %s from %s (answer to %s)%n", m.payloadText(), from,
                        m.header(Headers.CORRELATION_ID));
                out.flush();
                replies.countDown();
            });

            out.println("-- alice and bob dial each other at the same moment");
            var ab = alice.connect(bob.info());
            var ba = bob.connect(alice.info());
            out.printf("alice reached %s, bob reached %s%n", ab.get(10, TimeUnit.SECONDS),
                    ba.get(10, TimeUnit.SECONDS));
            alice.connect(carol.info()).get(10, TimeUnit.SECONDS);
            out.printf("alice's links: %s (one per node, whatever the dials)%n", alice.connections());
            out.flush();

            out.println("-- alice sends to bob and waits for the answer");
            alice.send("bob", Message.of(Headers.of(Headers.REPLY_TO, "alice"), Map.of("greeting", "hi bob")));
            if (!replies.await(10, TimeUnit.SECONDS)) {
                throw new IllegalStateException("no reply from bob within 10 s");
            }

            out.println("-- alice sends one message to bob and carol, encoded once");
            int taken = alice.send(List.of("bob", "carol"), Message.of("news for everyone"));
            out.printf("taken by %d nodes%n", taken);
            out.flush();
            if (!fanout.await(10, TimeUnit.SECONDS)) {
                throw new IllegalStateException("the multi-dispatch did not arrive within 10 s");
            }
            out.printf("alice's counters: sent=%d received=%d%n", alice.metrics().messagesSent(),
                    alice.metrics().messagesReceived());
        } finally {
            out.println("-- closing (goodbye on every link)");
            for (Node n : all) {
                n.close().get(15, TimeUnit.SECONDS);
            }
            out.println("done");
            out.flush();
        }
        return 0;
    }
}

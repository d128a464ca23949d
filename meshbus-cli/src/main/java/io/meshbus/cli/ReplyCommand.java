package io.meshbus.cli;

import io.meshbus.bus.Host;
import io.meshbus.bus.Peer;
import io.meshbus.message.Headers;
import io.meshbus.message.Message;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code meshbus reply ID --command CMD} or {@code --answer JSON}: joins as the peer ID (a dotted id such as
 * {@code orders.quote} is also a subject) and answers every request sent to it, like {@code nats reply}. A command
 * gets the request's payload on standard input and {@code MESHBUS_FROM} in its environment; its standard output is
 * the answer. One request at a time, in order of arrival; a command that fails or outlives {@code --timeout} is
 * killed and the request is left unanswered (its sender times out), with a line on standard error.
 *
 * <p>Threads: requests arrive on the host's executor and are handed to one worker thread, which runs the command and
 * answers; printing is serialised on the output writer.
 */
@Command(name = "reply", mixinStandardHelpOptions = true,
        description = "Answer requests sent to a peer id, with a command's output or a fixed answer.")
final class ReplyCommand extends ClientCommands.Base {
    @Parameters(index = "0", paramLabel = "SUBJECT-OR-PEER", description = "The peer id to answer as.")
    String peer;

    @ArgGroup(exclusive = true, multiplicity = "1")
    Answer answer;

    static final class Answer {
        @Option(names = "--command", paramLabel = "CMD", description = "Run CMD with sh -c for each request: the "
                + "payload on its standard input, its standard output the answer.")
        String command;

        @Option(names = "--answer", paramLabel = "JSON", description = "Answer every request with this payload.")
        String fixed;
    }

    @Option(names = "--count", defaultValue = "0", description = "Stop after N answers (0: until interrupted).")
    int count;

    @Override
    String peerId() {
        return peer;
    }

    @Override
    int run(Host host, Peer me) throws Exception {
        Message fixed = answer.fixed != null ? Payloads.message(answer.fixed.getBytes(StandardCharsets.UTF_8),
                client.codec, Headers.EMPTY) : null;
        PrintWriter out = out();
        CountDownLatch done = new CountDownLatch(1);
        AtomicInteger answered = new AtomicInteger();
        ExecutorService worker = Executors.newSingleThreadExecutor(r -> {
            Thread t = new Thread(r, "meshbus-reply");
            t.setDaemon(true);
            return t;
        });
        try {
            me.onMessage((from, m) -> {
                if (m.header(Headers.REPLY_TO) == null || m.header(Headers.CORRELATION_ID) == null) {
                    return;
                }
                worker.execute(() -> {
                    if (count > 0 && answered.get() >= count) {
                        return;
                    }
                    Message a;
                    try {
                        a = fixed != null ? fixed : run(answer.command, from, m);
                    } catch (Exception e) {
                        PrintWriter err = spec.commandLine().getErr();
                        synchronized (err) {
                            err.println("meshbus: request from " + from + " not answered: " + e.getMessage());
                            err.flush();
                        }
                        return;
                    }
                    // The line first: once answered, the asker may stop this process at any moment.
                    Map<String, Object> f = new LinkedHashMap<>();
                    f.put("from", from);
                    synchronized (out) {
                        out.println(Payloads.line(f, m));
                        out.flush();
                    }
                    me.reply(m, a).join();
                    if (count > 0 && answered.incrementAndGet() >= count) {
                        done.countDown();
                    }
                });
            });
            System.err.println("answering requests to " + peer);
            Runtime.getRuntime().addShutdownHook(new Thread(done::countDown));
            done.await();
            return ExitCodes.OK;
        } finally {
            worker.shutdownNow();
        }
    }

    /** Runs the command for one request and encodes its output with --codec. */
    private Message run(String command, String from, Message request) throws Exception {
        ProcessBuilder pb = new ProcessBuilder("sh", "-c", command).redirectError(ProcessBuilder.Redirect.INHERIT);
        pb.environment().put("MESHBUS_FROM", from);
        Process p = pb.start();
        byte[] input = request.contentType().equals(io.meshbus.codec.ContentType.MSGPACK)
                ? Payloads.value(request).toString().getBytes(StandardCharsets.UTF_8) : request.payloadBytes();
        CompletableFuture<byte[]> output = CompletableFuture.supplyAsync(() -> readAll(p.getInputStream()));
        try (OutputStream in = p.getOutputStream()) {
            in.write(input);
        } catch (IOException e) {
            // the command does not read its input: its answer is what counts
        }
        long ms = client.timeout().toMillis();
        if (!p.waitFor(ms, TimeUnit.MILLISECONDS)) {
            p.destroyForcibly();
            throw new IllegalStateException("'" + command + "' did not finish within " + ms + " ms");
        }
        if (p.exitValue() != 0) {
            throw new IllegalStateException("'" + command + "' exited with " + p.exitValue());
        }
        return Payloads.message(output.get(ms, TimeUnit.MILLISECONDS), client.codec, Headers.EMPTY);
    }

    private static byte[] readAll(InputStream in) {
        try {
            return in.readAllBytes();
        } catch (IOException e) {
            return new byte[0];
        }
    }
}

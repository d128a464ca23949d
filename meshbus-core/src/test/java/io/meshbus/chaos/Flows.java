package io.meshbus.chaos;

import static org.assertj.core.api.Assertions.assertThat;

import io.meshbus.bus.Peer;
import io.meshbus.error.MeshbusException;
import io.meshbus.message.Message;
import io.meshbus.node.SendStatus;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Queue;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.BiFunction;

/**
 * The chaos tests' traffic: flows of numbered messages, one sender, one receiver, one mode, and what became of each
 * send. Payloads are "flow name|sequence", so the receiving side alone can tell a duplicate, a reordering or a stranger
 * whatever the faults did to the links in between.
 */
final class Flows {
    private final Map<String, Flow> byName = new ConcurrentHashMap<>();
    /** Only the test thread registers and iterates; listeners look flows up by name. */
    private final List<Flow> all = new ArrayList<>();
    final Queue<String> violations = new ConcurrentLinkedQueue<>();
    private final BiFunction<Flow, String, String> misplaced;

    Flows() {
        this((f, text) -> null);
    }

    /**
     * @param misplaced a test's own rule on when a known flow's message may arrive: given the flow and the payload,
     *     the violation to record, or null
     */
    Flows(BiFunction<Flow, String, String> misplaced) {
        this.misplaced = misplaced;
    }

    Flow register(Flow f) {
        byName.put(f.name, f);
        all.add(f);
        return f;
    }

    Flow get(String name) {
        return byName.get(name);
    }

    /** In the order registered, so reports read the same from run to run. */
    List<Flow> all() {
        return all;
    }

    /** A peer's listener runs one message at a time, so what arrives per flow is checked in arrival order. */
    void received(String from, Message m) {
        String text = m.payloadText();
        int bar = text.lastIndexOf('|');
        Flow f = bar < 0 ? null : byName.get(text.substring(0, bar));
        if (f == null) {
            violations.add("unexpected message from " + from + ": " + text);
            return;
        }
        String wrong = misplaced.apply(f, text);
        if (wrong != null) {
            violations.add(wrong);
        }
        long seq = Long.parseLong(text.substring(bar + 1));
        if (!f.received.add(seq)) {
            violations.add(f.name + ": #" + seq + " arrived twice");
        } else if (seq <= f.last) {
            violations.add(f.name + ": #" + seq + " arrived after #" + f.last);
        }
        f.last = Math.max(f.last, seq);
    }

    /** One message per flow, in its mode. */
    static void sendRound(Iterable<Flow> flows, List<CompletableFuture<Void>> into) {
        for (Flow f : flows) {
            if (f.mode.waits) {
                into.add(f.send());
            } else {
                f.sendAndForget();
            }
        }
    }

    /** Never hangs: a future that has not ended within {@code bound} fails the test here. */
    static void awaitEnded(List<CompletableFuture<Void>> futures, Duration bound) {
        CompletableFuture.allOf(futures.stream().map(f -> f.exceptionally(e -> null))
                        .toArray(CompletableFuture[]::new))
                .orTimeout(bound.toMillis(), TimeUnit.MILLISECONDS).join();
    }

    /** What GUARANTEES.md promises of every future, whatever happens to links and hosts. */
    static void checkEnded(Flow f, Outcome o, Duration bound, Set<Class<? extends MeshbusException>> documented) {
        assertThat(o.future).as(f.name + " #" + o.seq + " ended").isDone();
        assertThat(Duration.ofNanos(o.doneNanos - o.sentNanos)).as(f.name + " #" + o.seq + " ended within its timeout")
                .isLessThanOrEqualTo(bound);
        if (o.error != null) {
            assertThat(o.error).as(f.name + " #" + o.seq + " failed typed").isInstanceOf(MeshbusException.class);
            assertThat(documented).as(f.name + " #" + o.seq + " failed with a documented error: " + o.error)
                    .anyMatch(t -> t.isInstance(o.error));
        }
    }

    /** A delivery mode: {@code waits} when sends return a future. */
    enum Mode {
        FORGET("ff", " -forget-> ", false), CONFIRMED("conf", " =confirmed=> ", true),
        AT_LEAST_ONCE("alo", " =at-least-once=> ", true);

        /** A payload's first field in HostKillTest: the victim echoes in the mode it names. */
        final String tag;
        /** Joins sender and target in ChaosTest's flow names. */
        final String arrow;
        final boolean waits;

        Mode(String tag, String arrow, boolean waits) {
            this.tag = tag;
            this.arrow = arrow;
            this.waits = waits;
        }
    }

    /** What one send with a future came to. */
    static final class Outcome {
        final long seq;
        final long sentNanos;
        final CompletableFuture<Void> future;
        volatile long doneNanos;
        volatile Throwable error;

        Outcome(long seq, long sentNanos, CompletableFuture<Void> future) {
            this.seq = seq;
            this.sentNanos = sentNanos;
            this.future = future;
        }
    }

    static final class Flow {
        final String name;
        /** Null when this JVM does not send it. */
        final Peer from;
        final String to;
        final Mode mode;
        /** 0 when no host's restart concerns the flow; else the incarnation of the host it goes to or comes from. */
        final int incarnation;
        /** Only the test thread sends. */
        long next;
        final List<Outcome> outcomes = new ArrayList<>();
        final AtomicLong taken = new AtomicLong();
        final AtomicLong refused = new AtomicLong();
        final Set<Long> received = ConcurrentHashMap.newKeySet();
        /** Written by the receiving peer's listener only, which runs one message at a time. */
        volatile long last = -1;

        Flow(String name, Peer from, String to, Mode mode) {
            this(name, from, to, mode, 0);
        }

        Flow(String name, Peer from, String to, Mode mode, int incarnation) {
            this.name = name;
            this.from = from;
            this.to = to;
            this.mode = mode;
            this.incarnation = incarnation;
        }

        Set<Long> sentSeqs() {
            Set<Long> s = new HashSet<>();
            for (long i = 0; i < next; i++) {
                s.add(i);
            }
            return s;
        }

        /** Failures by exception type, sorted so reports compare across runs. */
        Map<String, Long> errors() {
            Map<String, Long> errors = new TreeMap<>();
            outcomes.stream().filter(o -> o.error != null)
                    .forEach(o -> errors.merge(o.error.getClass().getSimpleName(), 1L, Long::sum));
            return errors;
        }

        CompletableFuture<Void> send() {
            long seq = next++;
            long at = System.nanoTime();
            String payload = name + "|" + seq;
            CompletableFuture<Void> sent = mode == Mode.AT_LEAST_ONCE ? from.sendAtLeastOnce(to, payload)
                    : from.send(to, payload);
            Outcome o = new Outcome(seq, at, sent);
            outcomes.add(o);
            // A dependent stage, so the future handed back ends only once the outcome is recorded.
            return sent.whenComplete((v, e) -> {
                o.error = e == null ? null : unwrap(e);
                o.doneNanos = System.nanoTime();
            });
        }

        void sendAndForget() {
            SendStatus s = from.sendAndForget(to, name + "|" + next++);
            (s.accepted() ? taken : refused).incrementAndGet();
        }

        private static Throwable unwrap(Throwable t) {
            while (t instanceof CompletionException && t.getCause() != null) {
                t = t.getCause();
            }
            return t;
        }
    }
}

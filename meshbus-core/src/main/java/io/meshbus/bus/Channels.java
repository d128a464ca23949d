package io.meshbus.bus;

import io.meshbus.bus.channel.Interests;
import io.meshbus.bus.membership.Membership;
import io.meshbus.bus.membership.MembershipListener;
import io.meshbus.bus.protocol.BusContext;
import io.meshbus.bus.protocol.BusOps;
import io.meshbus.bus.request.HostCalls;
import io.meshbus.bus.request.Pending;
import io.meshbus.bus.request.PendingOps;
import io.meshbus.error.BackPressureException;
import io.meshbus.error.ErrorCode;
import io.meshbus.error.MeshbusException;
import io.meshbus.error.NotAuthorizedException;
import io.meshbus.message.Headers;
import io.meshbus.message.Message;
import io.meshbus.node.SendStatus;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.LongAdder;
import java.util.Objects;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Publish/subscribe across the network. Each host keeps an index of its local subscriptions and one of its members'
 * interests (pattern + queue group per host). A host announces a pattern when its first local subscription to it
 * appears and withdraws it with the last; on every (re)admitted link it sends its whole interest set, which replaces
 * what the other side knew, so interests are neither lost nor stale after a reconnect or a restart. A publish goes
 * only to hosts with a matching interest, once per host, encoded once; a queue group's message goes to one host
 * (round robin over the hosts with members) and there to one member.
 */
final class Channels implements MembershipListener {
    private static final Logger LOG = LoggerFactory.getLogger(Channels.class);
    static final String GROUP = "group";

    private final BusContext ctx;
    private final Membership membership;
    private final HostCalls calls;
    private final PendingOps pending;
    private final Interests remote;
    /** The backplane when it carries channels itself, else null. */
    private final Backplane broker;
    final ConsumerQueue.Factory queues;
    private final SubjectIndex<Subscription> local = new SubjectIndex<>();
    /** Local subscriptions per (pattern, group); guarded by this, and so is every announcement sent. */
    private final Map<List<String>, Integer> interests = new LinkedHashMap<>();
    private final ConcurrentHashMap<String, AtomicInteger> cursors = new ConcurrentHashMap<>();
    final LongAdder published = new LongAdder();
    final LongAdder deliveredToSubscribers = new LongAdder();
    /** Publishes a host's send queue refused (at most once: counted, not retried). */
    final LongAdder refused = new LongAdder();
    /** publishAsync's publishes waiting for room at a host. */
    private final PublishBacklog backlog;

    Channels(BusContext ctx, Membership membership, HostCalls calls, PendingOps pending, Interests remote,
             Backplane broker, ConsumerQueue.Factory queues) {
        this.ctx = ctx;
        this.membership = membership;
        this.calls = calls;
        this.pending = pending;
        this.remote = remote;
        this.broker = broker;
        this.queues = queues;
        this.backlog = new PublishBacklog(ctx.carrier(), refused);
    }

    // ------------------------------------------------------------------ subscribing

    CompletableFuture<Subscription> subscribe(String pattern, String group, String owner, PeerListener listener,
                                              ConsumerOptions queue) {
        Subjects.tokens(pattern, true);
        if (group != null && group.isEmpty()) {
            throw new IllegalArgumentException("queueGroup: must not be empty (null for none)");
        }
        Subscription s = new Subscription(this, pattern, group, owner, Objects.requireNonNull(listener, "listener"),
                queue);
        local.add(pattern, s);
        List<CompletableFuture<Object>> acks = new ArrayList<>();
        synchronized (this) {
            List<String> key = key(pattern, group);
            int n = interests.merge(key, 1, Integer::sum);
            if (n == 1 && broker != null && group == null) {
                acks.add(broker.subscribe(pattern).thenApply(v -> null));
            } else if (n == 1 && broker != null && broker.nativeQueueGroups()) {
                acks.add(broker.subscribe(pattern, group).thenApply(v -> null));
            } else if (n == 1) {
                for (String m : membership.memberIds()) {
                    acks.add(calls.ask(m, BusOps.INTEREST_ADD, key));
                }
            }
        }
        // Live across the network once every member has it (a member that fails to answer gets it on its next
        // admission with the full interest set); a member that refuses it fails the subscription.
        return CompletableFuture.allOf(acks.stream().map(f -> f.exceptionally(e -> {
            if (refused(e) || refused(e.getCause())) {
                throw e instanceof RuntimeException r ? r : new CompletionException(e);
            }
            return null;
        })).toArray(CompletableFuture[]::new)).thenApply(v -> s).whenComplete((v, e) -> {
            if (e != null) {
                s.unsubscribe();
            }
        });
    }

    /** A member said no: the subscriber's future fails with that (a member that did not answer is not a no). */
    private static boolean refused(Throwable e) {
        return e instanceof NotAuthorizedException || e instanceof BackPressureException;
    }

    /** How a member's refusal travels in its answer: {@code CODE:text}. */
    static MeshbusException refusal(String answer) {
        int colon = answer.indexOf(':');
        if (colon > 0) {
            try {
                return MeshbusException.of(ErrorCode.ofWire(Integer.parseInt(answer, 0, colon, 10)),
                        answer.substring(colon + 1));
            } catch (RuntimeException ignored) {
                // not a coded answer
            }
        }
        return new NotAuthorizedException(answer);
    }

    void unsubscribe(Subscription s) {
        local.remove(s.subject(), s);
        synchronized (this) {
            List<String> key = key(s.subject(), s.queueGroup());
            Integer n = interests.computeIfPresent(key, (k, v) -> v == 1 ? null : v - 1);
                if (n == null && broker != null && s.queueGroup() == null) {
                broker.unsubscribe(s.subject());
            } else if (n == null && broker != null && broker.nativeQueueGroups()) {
                broker.unsubscribe(s.subject(), s.queueGroup());
            } else if (n == null) {
                for (String m : membership.memberIds()) {
                    calls.tell(m, BusOps.INTEREST_REMOVE, key);
                }
            }
        }
    }

    private static List<String> key(String pattern, String group) {
        List<String> k = new ArrayList<>(2);
        k.add(pattern);
        k.add(group);
        return k;
    }

    /** Sends the whole interest set to a host that was just admitted (again). */
    @Override
    public synchronized void admitted(String to) {
        List<List<String>> all = new ArrayList<>(interests.keySet());
        if (broker != null) {
            // the broker holds those
            all.removeIf(k -> k.get(1) == null || broker.nativeQueueGroups());
        }
        calls.tell(to, BusOps.INTERESTS, all);
    }

    /** The answer to a subscription's {@code ca}: empty, or the member's coded refusal. */
    void onAdded(Message m, String op) {
        long s = BusOps.seq(op, 2);
        Pending p = s < 0 ? null : pending.take(s);
        if (p == null) {
            return;
        }
        String refusal = m.payloadText();
        if (refusal.isEmpty()) {
            p.future().complete(m);
        } else {
            p.future().completeExceptionally(refusal(refusal));
        }
    }

    // ------------------------------------------------------------------ publishing

    /**
     * Publishes to the local subscriptions and the hosts with a matching interest. With {@code retry} false a refusal
     * by a full send queue is final (counted in {@code publishesRefused}); with true a refused host gets the message
     * from the {@link PublishBacklog} once it has room, and the futures of those waits come back (null when none).
     */
    List<CompletableFuture<Void>> publish(String from, String subject, Object payload, boolean retry) {
        String[] tokens = Subjects.tokens(subject, false);
        Message m = Outbound.toMessage(payload);
        Message out = m.withHeaders(m.headers().withAll(Headers.FROM, from, Headers.CHANNEL, subject));
        published.increment();
        Set<String> hosts = new HashSet<>(4);
        Map<String, Set<String>> groups = new TreeMap<>();
        remote.match(tokens, i -> {
            if (i.group() == null) {
                hosts.add(i.host());
            } else {
                groups.computeIfAbsent(i.group(), g -> new HashSet<>()).add(i.host());
            }
        });
        boolean brokerGroups = broker != null && broker.nativeQueueGroups();
        List<Subscription> plain = new ArrayList<>(2);
        local.match(tokens, s -> {
            if (s.queueGroup() == null) {
                plain.add(s);
            } else if (!brokerGroups) {
                groups.computeIfAbsent(s.queueGroup(), g -> new HashSet<>()).add(ctx.id());
            }
        });
        deliverAll(plain, from, out, null);
        List<CompletableFuture<Void>> again = null;
        if (broker != null) {
            if (!broker.publish(subject, out.withHeader(BusOps.OP, BusOps.PUBLISH)).accepted()) {
                refused.increment();
            }
        } else if (!hosts.isEmpty()) {
            Message wire = out.withHeader(BusOps.OP, BusOps.PUBLISH);
            if (retry) {
                // Hosts that still wait for earlier publishes get this one behind them: order per host holds.
                for (java.util.Iterator<String> it = hosts.iterator(); it.hasNext(); ) {
                    String h = it.next();
                    if (backlog.backlogged(h)) {
                        it.remove();
                        again = add(again, backlog.add(h, wire));
                    }
                }
            }
            // One host: the link's own path (header strings cached per link); several: encoded once for all.
            List<String> back = retry ? new ArrayList<>(0) : null;
            int taken;
            if (hosts.isEmpty()) {
                taken = 0;
            } else if (hosts.size() == 1) {
                String h = hosts.iterator().next();
                SendStatus st = ctx.carrier().send(h, wire);
                taken = st.accepted() ? 1 : 0;
                if (back != null && st == SendStatus.BACK_PRESSURED) {
                    back.add(h);
                }
            } else {
                taken = ctx.carrier().send(hosts, wire, back);
            }
            int lost = hosts.size() - taken - (back == null ? 0 : back.size());
            if (lost > 0) {
                refused.add(lost);
                LOG.debug("publish on {} refused by {} of {} hosts (send queues full)", subject, lost, hosts.size());
            }
            if (back != null) {
                for (String h : back) {
                    again = add(again, backlog.add(h, wire));
                }
            }
        }
        for (Map.Entry<String, Set<String>> e : groups.entrySet()) {
            String group = e.getKey();
            List<String> sorted = new ArrayList<>(e.getValue());
            sorted.sort(null);
            String target = sorted.get(Math.floorMod(cursor(group).getAndIncrement(), sorted.size()));
            if (target.equals(ctx.id())) {
                deliverToGroup(tokens, group, from, out, null);
                continue;
            }
            Message g = out.withHeaders(out.headers().withAll(BusOps.OP, BusOps.GROUP_PUBLISH, GROUP, group));
            SendStatus st = ctx.carrier().send(target, g);
            if (retry && st == SendStatus.BACK_PRESSURED) {
                again = add(again, backlog.add(target, g));
            } else if (!st.accepted()) {
                refused.increment();
            }
        }
        return again;
    }

    private static List<CompletableFuture<Void>> add(List<CompletableFuture<Void>> to, CompletableFuture<Void> f) {
        List<CompletableFuture<Void>> l = to == null ? new ArrayList<>(2) : to;
        l.add(f);
        return l;
    }

    /**
     * Publishes, and completes once every host with a matching interest took the message: a host whose send queue is
     * full gets it again when the queue has room, so a publisher that waits on the future is held back instead of
     * losing messages. A host that goes away meanwhile is left out (counted in {@code publishesRefused}); the
     * future never fails for it. Completes on the executor when it had to wait, else on the caller's thread.
     */
    CompletableFuture<Void> publishAsync(String from, String subject, Object payload) {
        List<CompletableFuture<Void>> waiting = publish(from, subject, payload, true);
        return waiting == null ? CompletableFuture.completedFuture(null)
                : CompletableFuture.allOf(waiting.toArray(new CompletableFuture<?>[0]));
    }

    private AtomicInteger cursor(String group) {
        return cursors.computeIfAbsent(group, g -> new AtomicInteger());
    }

    /**
     * Hands a message to a subscription's queue: {@code via} is the remote host that brought it (run inline when the
     * queue is idle: the caller is that host's delivery thread), null for a publish made on this host. At most once:
     * a message its queue drops or refuses is counted there and not retried.
     */
    private void deliver(Subscription s, String from, Message m, String via) {
        Runnable r = () -> {
            if (s.isClosed()) {
                return;
            }
            deliveredToSubscribers.increment();
            try {
                s.listener.onMessage(from, m);
            } catch (Throwable t) {
                LOG.warn("subscriber of {} failed on a message from {}", s.subject(), from, t);
            }
        };
        s.inbox().offer(r, via, true, null, via != null);
    }

    /**
     * Outside the index's read lock: a listener run inline, or a queue cutting its subscription off, may unsubscribe,
     * which takes the write lock.
     */
    private void deliverAll(List<Subscription> matched, String from, Message m, String via) {
        for (int i = 0, n = matched.size(); i < n; i++) {
            deliver(matched.get(i), from, m, via);
        }
    }

    /** One local member of the group, round robin over those whose pattern matches. */
    private boolean deliverToGroup(String[] tokens, String group, String from, Message m, String via) {
        List<Subscription> members = new ArrayList<>(2);
        local.match(tokens, s -> {
            if (group.equals(s.queueGroup()) && !s.isClosed()) {
                members.add(s);
            }
        });
        if (members.isEmpty()) {
            return false;
        }
        deliver(members.get(Math.floorMod(cursor(group).getAndIncrement(), members.size())), from, m, via);
        return true;
    }

    // ------------------------------------------------------------------ receiving

    /** The channel ops of a member: publishes here, interest ops to {@link Interests}. */
    void onOp(String fromHost, Message m, String op) {
        if (op.equals(BusOps.PUBLISH)) {
            String[] tokens = subjectOf(m);
            String from = m.header(Headers.FROM);
            if (tokens == null || !mayPublish(fromHost, from, m)) {
                return;
            }
            List<Subscription> plain = new ArrayList<>(2);
            local.match(tokens, s -> {
                if (s.queueGroup() == null) {
                    plain.add(s);
                }
            });
            deliverAll(plain, from, m, fromHost);
        } else if (op.equals(BusOps.GROUP_PUBLISH)) {
            String[] tokens = subjectOf(m);
            String group = m.header(GROUP);
            if (tokens == null || group == null || !mayPublish(fromHost, m.header(Headers.FROM), m)) {
                return;
            }
            if (!deliverToGroup(tokens, group, m.header(Headers.FROM), m, fromHost)) {
                ctx.metrics().dropped.increment();
            }
        } else if (op.startsWith(BusOps.INTEREST_ADDED)) {
            onAdded(m, op);
        } else {
            remote.onOp(fromHost, m, op);
        }
    }

    /** The concrete subject's tokens, or null (counted) when the message has none or a malformed one. */
    private String[] subjectOf(Message m) {
        String subject = m.header(Headers.CHANNEL);
        try {
            return Subjects.tokens(subject, false);
        } catch (IllegalArgumentException e) {
            ctx.metrics().strangers.increment();
            return null;
        }
    }

    /** A publish the broker gave this host as a member of a queue group: to one local member of it. */
    void onNativeGroupPublish(String fromHost, String pattern, String group, Message m) {
        String subject = m.header(Headers.CHANNEL);
        String from = m.header(Headers.FROM);
        String[] tokens;
        try {
            tokens = subject == null || from == null ? null : Subjects.tokens(subject, false);
        } catch (IllegalArgumentException e) {
            tokens = null;
        }
        if (tokens == null) {
            ctx.metrics().strangers.increment();
            return;
        }
        if (!fromHost.equals(ctx.id()) && !mayPublish(fromHost, from, m)) {
            return;
        }
        List<Subscription> members = new ArrayList<>(2);
        local.match(tokens, s -> {
            if (group.equals(s.queueGroup()) && s.subject().equals(pattern) && !s.isClosed()) {
                members.add(s);
            }
        });
        if (members.isEmpty()) {
            ctx.metrics().dropped.increment();
            return;
        }
        deliver(members.get(Math.floorMod(cursor(group).getAndIncrement(), members.size())), from, m, fromHost);
    }

    /** A publish the broker delivered for one of this host's patterns: to the subscriptions of that pattern. */
    void onNativePublish(String fromHost, String pattern, Message m) {
        String subject = m.header(Headers.CHANNEL);
        String from = m.header(Headers.FROM);
        if (subject == null || from == null) {
            ctx.metrics().strangers.increment();
            return;
        }
        String[] tokens;
        try {
            tokens = Subjects.tokens(subject, false);
        } catch (IllegalArgumentException e) {
            ctx.metrics().strangers.increment();
            return;
        }
        if (!mayPublish(fromHost, from, m)) {
            return;
        }
        List<Subscription> plain = new ArrayList<>(2);
        local.match(tokens, s -> {
            if (s.queueGroup() == null && s.subject().equals(pattern)) {
                plain.add(s);
            }
        });
        deliverAll(plain, from, m, fromHost);
    }

    private boolean mayPublish(String fromHost, String from, Message m) {
        if (ctx.options().authorizer().mayPublish(fromHost, from, m.header(Headers.CHANNEL))) {
            return true;
        }
        ctx.metrics().denied.increment();
        LOG.warn("host {}: denied a publish on {} from {} on host {}", ctx.id(), m.header(Headers.CHANNEL), from,
                fromHost);
        return false;
    }

    int localSubscriptions() {
        return local.size();
    }

    int remoteInterests() {
        return remote.size();
    }

    void metrics(Map<String, Long> into) {
        into.put("published", published.sum());
        into.put("deliveredToSubscribers", deliveredToSubscribers.sum());
        into.put("publishesRefused", refused.sum());
        into.put("subscriptions", (long) localSubscriptions());
        into.put("remoteInterests", (long) remoteInterests());
    }
}

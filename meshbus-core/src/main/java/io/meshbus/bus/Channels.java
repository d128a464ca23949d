package io.meshbus.bus;

import io.meshbus.error.BackPressureException;
import io.meshbus.error.ErrorCode;
import io.meshbus.error.MeshbusException;
import io.meshbus.message.Headers;
import io.meshbus.message.Message;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.LongAdder;

/**
 * Publish/subscribe across the network. Each host keeps an index of its local subscriptions and one of its members'
 * interests (pattern + queue group per host). A host announces a pattern when its first local subscription to it
 * appears and withdraws it with the last; on every (re)admitted link it sends its whole interest set, which replaces
 * what the other side knew, so interests are neither lost nor stale after a reconnect or a restart. A publish goes
 * only to hosts with a matching interest, once per host, encoded once; a queue group's message goes to one host
 * (round robin over the hosts with members) and there to one member.
 */
final class Channels {
    /** What a member host is interested in. */
    record Interest(String host, String pattern, String group) {
    }

    static final String GROUP = "group";

    private final Host host;
    private final SubjectIndex<Subscription> local = new SubjectIndex<>();
    private final SubjectIndex<Interest> remote = new SubjectIndex<>();
    /** Local subscriptions per (pattern, group); guarded by this, and so is every announcement sent. */
    private final Map<List<String>, Integer> interests = new LinkedHashMap<>();
    private final ConcurrentHashMap<String, AtomicInteger> cursors = new ConcurrentHashMap<>();
    /** Interests held here per member, against {@code maxSubscriptionsPerMember}. */
    private final ConcurrentHashMap<String, AtomicInteger> interestsBy = new ConcurrentHashMap<>();
    final LongAdder published = new LongAdder();
    final LongAdder deliveredToSubscribers = new LongAdder();
    /** Publishes a host's send queue refused (at most once: counted, not retried). */
    final LongAdder refused = new LongAdder();

    Channels(Host host) {
        this.host = host;
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
        Backplane broker = host.nativeChannels();
        synchronized (this) {
            List<String> key = key(pattern, group);
            int n = interests.merge(key, 1, Integer::sum);
            if (n == 1 && broker != null && group == null) {
                acks.add(broker.subscribe(pattern).thenApply(v -> null));
            } else if (n == 1 && broker != null && broker.nativeQueueGroups()) {
                acks.add(broker.subscribe(pattern, group).thenApply(v -> null));
            } else if (n == 1) {
                for (String m : host.memberIds()) {
                    acks.add(host.ask(m, "ca", key));
                }
            }
        }
        // Live across the network once every member has it (a member that fails to answer gets it on its next
        // admission with the full interest set); a member that refuses it fails the subscription.
        return CompletableFuture.allOf(acks.stream().map(f -> f.exceptionally(e -> {
            if (refused(e) || refused(e.getCause())) {
                throw e instanceof RuntimeException r ? r : new java.util.concurrent.CompletionException(e);
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
        return e instanceof io.meshbus.error.NotAuthorizedException || e instanceof BackPressureException;
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
        return new io.meshbus.error.NotAuthorizedException(answer);
    }

    void unsubscribe(Subscription s) {
        local.remove(s.subject(), s);
        synchronized (this) {
            List<String> key = key(s.subject(), s.queueGroup());
            Integer n = interests.computeIfPresent(key, (k, v) -> v == 1 ? null : v - 1);
            Backplane broker = host.nativeChannels();
            if (n == null && broker != null && s.queueGroup() == null) {
                broker.unsubscribe(s.subject());
            } else if (n == null && broker != null && broker.nativeQueueGroups()) {
                broker.unsubscribe(s.subject(), s.queueGroup());
            } else if (n == null) {
                for (String m : host.memberIds()) {
                    host.tell(m, "cr", key);
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
    synchronized void announceAll(String to) {
        List<List<String>> all = new ArrayList<>(interests.keySet());
        Backplane broker = host.nativeChannels();
        if (broker != null) {
            // the broker holds those
            all.removeIf(k -> k.get(1) == null || broker.nativeQueueGroups());
        }
        host.tell(to, "cs", all);
    }

    void forget(String gone) {
        remote.removeIf(i -> i.host().equals(gone));
        interestsBy.remove(gone);
    }

    // ------------------------------------------------------------------ publishing

    void publish(String from, String subject, Object payload) {
        String[] tokens = Subjects.tokens(subject, false);
        Message m = Host.toMessage(payload);
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
        Backplane broker = host.nativeChannels();
        boolean brokerGroups = broker != null && broker.nativeQueueGroups();
        List<Subscription> plain = new ArrayList<>(2);
        local.match(tokens, s -> {
            if (s.queueGroup() == null) {
                plain.add(s);
            } else if (!brokerGroups) {
                groups.computeIfAbsent(s.queueGroup(), g -> new HashSet<>()).add(host.id());
            }
        });
        deliverAll(plain, from, out, null);
        if (broker != null) {
            if (!broker.publish(subject, out.withHeader(Host.OP, "cp")).accepted()) {
                refused.increment();
            }
        } else if (!hosts.isEmpty()) {
            Message wire = out.withHeader(Host.OP, "cp");
            // One host: the link's own path (header strings cached per link); several: encoded once for all.
            int taken = hosts.size() == 1 ? (host.link(hosts.iterator().next(), wire).accepted() ? 1 : 0)
                    : host.link(hosts, wire);
            if (taken < hosts.size()) {
                refused.add(hosts.size() - taken);
                Host.LOG.debug("publish on {} refused by {} of {} hosts (send queues full)", subject,
                        hosts.size() - taken, hosts.size());
            }
        }
        groups.forEach((group, candidates) -> {
            List<String> sorted = new ArrayList<>(candidates);
            sorted.sort(null);
            String target = sorted.get(Math.floorMod(cursor(group).getAndIncrement(), sorted.size()));
            if (target.equals(host.id())) {
                deliverToGroup(tokens, group, from, out, null);
            } else {
                host.link(target, out.withHeaders(out.headers().withAll(Host.OP, "cq", GROUP, group)));
            }
        });
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
                Host.LOG.warn("subscriber of {} failed on a message from {}", s.subject(), from, t);
            }
        };
        s.inbox(host).offer(r, via, true, null, via != null);
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

    @SuppressWarnings("unchecked")
    void onMessage(String fromHost, Message m, String op) {
        switch (op.substring(0, 2)) {
            case "cp" -> {
                String[] tokens = Subjects.tokens(m.header(Headers.CHANNEL), false);
                String from = m.header(Headers.FROM);
                if (!mayPublish(fromHost, from, m)) {
                    return;
                }
                List<Subscription> plain = new ArrayList<>(2);
                local.match(tokens, s -> {
                    if (s.queueGroup() == null) {
                        plain.add(s);
                    }
                });
                deliverAll(plain, from, m, fromHost);
            }
            case "cq" -> {
                String[] tokens = Subjects.tokens(m.header(Headers.CHANNEL), false);
                if (!mayPublish(fromHost, m.header(Headers.FROM), m)) {
                    return;
                }
                if (!deliverToGroup(tokens, m.header(GROUP), m.header(Headers.FROM), m, fromHost)) {
                    host.countDropped();
                }
            }
            case "cs" -> {
                List<List<String>> all = m.decode(List.class);
                synchronized (remote) {
                    remote.removeIf(i -> i.host().equals(fromHost));
                    int kept = 0;
                    for (List<String> k : all) {
                        if (kept >= host.options().maxSubscriptionsPerMember()) {
                            host.limitRefusals.increment();
                        } else if (host.options().authorizer().maySubscribe(fromHost, k.get(0))) {
                            remote.add(k.get(0), new Interest(fromHost, k.get(0), k.get(1)));
                            kept++;
                        } else {
                            host.denied.increment();
                        }
                    }
                    interestsBy.put(fromHost, new AtomicInteger(kept));
                    if (kept < all.size()) {
                        Host.LOG.warn("host {}: kept {} of the {} subscriptions host {} announced", host.id(), kept,
                                all.size(), fromHost);
                    }
                }
                host.interestsKnown(fromHost);
            }
            case "ca" -> {
                List<String> k = m.decode(List.class);
                if (!host.options().authorizer().maySubscribe(fromHost, k.get(0))) {
                    host.denied.increment();
                    Host.LOG.warn("host {}: denied host {} a subscription to {}", host.id(), fromHost, k.get(0));
                    host.answer(fromHost, op, ErrorCode.NOT_AUTHORIZED.wire() + ":host " + host.id()
                            + " does not allow a subscription to " + k.get(0));
                    return;
                }
                AtomicInteger n = interestsBy.computeIfAbsent(fromHost, h -> new AtomicInteger());
                if (n.get() >= host.options().maxSubscriptionsPerMember()) {
                    host.limitRefusals.increment();
                    Host.LOG.warn("host {}: host {} already has {} subscriptions here, the limit; refused {}",
                            host.id(), fromHost, n.get(), k.get(0));
                    host.answer(fromHost, op, ErrorCode.BACK_PRESSURE.wire() + ":host " + host.id() + " holds "
                            + n.get() + " subscriptions of host " + fromHost + ", its limit");
                    return;
                }
                remote.add(k.get(0), new Interest(fromHost, k.get(0), k.get(1)));
                n.incrementAndGet();
                host.answer(fromHost, op, "");
            }
            case "cr" -> {
                List<String> k = m.decode(List.class);
                if (remote.remove(k.get(0), new Interest(fromHost, k.get(0), k.get(1)))) {
                    AtomicInteger n = interestsBy.get(fromHost);
                    if (n != null) {
                        n.decrementAndGet();
                    }
                }
            }
            default -> host.countStranger();
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
            host.countStranger();
            return;
        }
        if (!fromHost.equals(host.id()) && !mayPublish(fromHost, from, m)) {
            return;
        }
        List<Subscription> members = new ArrayList<>(2);
        local.match(tokens, s -> {
            if (group.equals(s.queueGroup()) && s.subject().equals(pattern) && !s.isClosed()) {
                members.add(s);
            }
        });
        if (members.isEmpty()) {
            host.countDropped();
            return;
        }
        deliver(members.get(Math.floorMod(cursor(group).getAndIncrement(), members.size())), from, m, fromHost);
    }

    /** A publish the broker delivered for one of this host's patterns: to the subscriptions of that pattern. */
    void onNativePublish(String fromHost, String pattern, Message m) {
        String subject = m.header(Headers.CHANNEL);
        String from = m.header(Headers.FROM);
        if (subject == null || from == null) {
            host.countStranger();
            return;
        }
        String[] tokens;
        try {
            tokens = Subjects.tokens(subject, false);
        } catch (IllegalArgumentException e) {
            host.countStranger();
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
        if (host.options().authorizer().mayPublish(fromHost, from, m.header(Headers.CHANNEL))) {
            return true;
        }
        host.denied.increment();
        Host.LOG.warn("host {}: denied a publish on {} from {} on host {}", host.id(), m.header(Headers.CHANNEL), from,
                fromHost);
        return false;
    }

    int localSubscriptions() {
        return local.size();
    }

    int remoteInterests() {
        return remote.size();
    }
}

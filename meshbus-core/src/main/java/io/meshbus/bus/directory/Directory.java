package io.meshbus.bus.directory;

import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Where peers live. Every peer id has {@code replicas} owner hosts, chosen by rendezvous hashing over the current
 * members: the hosts with the highest {@code score(peer, host)}. A host registers each local peer with its owners;
 * a lookup asks the owners only, so it costs at most {@code replicas} messages however many hosts there are
 * (distribus asked every host). When a host joins, only the peers it now owns move to it (about 1/n of them); when
 * one leaves, the entries it held are re-registered by their hosts with the next owner.
 *
 * <p>Holds three things: the member list (sorted, including this host), the entries this host owns (peer id to host
 * id), and a bounded LRU cache of lookups. Thread-safe.
 */
final class Directory {
    private final String self;
    private final int replicas;
    private final int cacheSize;
    private volatile String[] members;
    /** Entries this host owns: peer id to where the peer is and since when. Host ids are shared instances. */
    final ConcurrentHashMap<String, Entry> owned = new ConcurrentHashMap<>();
    private final LinkedHashMap<String, String> cache;

    Directory(String self, int replicas, int cacheSize) {
        this.self = self;
        this.replicas = replicas;
        this.cacheSize = cacheSize;
        this.members = new String[] {self};
        this.cache = new LinkedHashMap<>(16, 0.75f, true) {
            @Override
            protected boolean removeEldestEntry(Map.Entry<String, String> eldest) {
                return size() > Directory.this.cacheSize;
            }
        };
    }

    void setMembers(String[] sortedMembers) {
        this.members = sortedMembers;
    }

    String[] members() {
        return members;
    }

    /** The owner hosts of a peer id, best first. */
    String[] owners(String peerId) {
        return owners(peerId, members);
    }

    String[] owners(String peerId, String[] among) {
        int n = Math.min(replicas, among.length);
        String[] best = new String[n];
        long[] scores = new long[n];
        int have = 0;
        int ph = peerId.hashCode();
        for (String h : among) {
            long s = score(ph, h.hashCode());
            int at = have;
            while (at > 0 && scores[at - 1] < s) {
                at--;
            }
            if (at < n) {
                int move = Math.min(have, n - 1) - at;
                if (move > 0) {
                    System.arraycopy(best, at, best, at + 1, move);
                    System.arraycopy(scores, at, scores, at + 1, move);
                }
                best[at] = h;
                scores[at] = s;
                if (have < n) {
                    have++;
                }
            }
        }
        return have == n ? best : Arrays.copyOf(best, have);
    }

    boolean isOwner(String peerId, String host, String[] among) {
        for (String o : owners(peerId, among)) {
            if (o.equals(host)) {
                return true;
            }
        }
        return false;
    }

    /** A 64-bit mix (splitmix64 finaliser) of the two hashes: rendezvous scores must spread evenly over hosts. */
    static long score(int peerHash, int hostHash) {
        long z = ((long) peerHash << 32) ^ (hostHash & 0xffffffffL) ^ 0x9E3779B97F4A7C15L;
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return z ^ (z >>> 31);
    }

    String cached(String peerId) {
        synchronized (cache) {
            return cache.get(peerId);
        }
    }

    void cache(String peerId, String host) {
        if (cacheSize == 0) {
            return;
        }
        synchronized (cache) {
            cache.put(peerId, host);
        }
    }

    void evict(String peerId) {
        synchronized (cache) {
            cache.remove(peerId);
        }
    }

    /** An owner's entry: the host that has the peer, and when the peer was created there (its claim's age). */
    record Entry(String host, long createdAt) {
    }

    /** The host of an owned entry, or null. */
    String ownedHost(String peerId) {
        Entry e = owned.get(peerId);
        return e == null ? null : e.host();
    }

    /** Forgets everything known about a host that left, crashed or restarted. */
    void forgetHost(String host) {
        owned.values().removeIf(e -> e.host().equals(host));
        synchronized (cache) {
            cache.values().removeIf(host::equals);
        }
    }

    int cacheSize() {
        synchronized (cache) {
            return cache.size();
        }
    }
}

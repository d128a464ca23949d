package io.meshbus.compat;

import java.io.IOException;
import java.net.InetAddress;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Function;

/**
 * The nodes a masterless node knows (masterless's {@code _nodes}) and those it keeps ({@code _keep}). Unlike
 * masterless it forgets an entry nothing refers to any more ({@link #tidy}), so a stream of failed dials cannot grow
 * it.
 *
 * <p>Threads: changed on the owning node's event loop only; both collections are concurrent because
 * {@link MasterlessNode#send}, {@link MasterlessNode#connections()} and {@link MasterlessNode#isKept} read them from
 * callers' threads.
 */
final class MasterlessRegistry {
    private final Map<String, MasterlessRemote> nodes = new ConcurrentHashMap<>();
    private final Set<String> keep = ConcurrentHashMap.newKeySet();
    private final Function<String, MasterlessRemote> create;

    MasterlessRegistry(Function<String, MasterlessRemote> create) {
        this.create = create;
    }

    MasterlessRemote get(String id) {
        return nodes.get(id);
    }

    MasterlessRemote getOrCreate(String id) {
        return nodes.computeIfAbsent(id, create);
    }

    MasterlessRemote remove(String id) {
        return nodes.remove(id);
    }

    /** Removes this entry, unless another has replaced it meanwhile. */
    void forget(MasterlessRemote n) {
        nodes.remove(n.id, n);
    }

    /** Forgets an entry nothing refers to any more (masterless kept these for ever). */
    void tidy(MasterlessRemote n) {
        if (n.unused()) {
            nodes.remove(n.id, n);
        }
    }

    void keep(String id, boolean b) {
        if (b) {
            keep.add(id);
        } else {
            keep.remove(id);
        }
    }

    boolean isKept(String id) {
        return keep.contains(id);
    }

    /** Forgets everything: what {@code close()} leaves behind. */
    void clear() {
        keep.clear();
        nodes.clear();
    }

    /** A snapshot of every entry. */
    List<MasterlessRemote> all() {
        return new ArrayList<>(nodes.values());
    }

    Collection<MasterlessRemote> live() {
        return nodes.values();
    }

    /** The ids with a link up. */
    List<String> linked() {
        List<String> out = new ArrayList<>();
        nodes.forEach((k, n) -> {
            if (n.stream != null) {
                out.add(k);
            }
        });
        return out;
    }

    /** Each entry's handshake state and {@code +} when linked, e.g. {@code 2/0+}. */
    Map<String, String> states() {
        Map<String, String> m = new HashMap<>();
        nodes.forEach((k, n) -> m.put(k, n.handshake.code() + (n.stream != null ? "+" : "")));
        return m;
    }

    /** The node a dial to host:port reached, when its own dial (incoming here) won the race. */
    MasterlessRemote byInfo(String host, Integer port) {
        if (host == null || port == null) {
            return null;
        }
        for (MasterlessRemote r : nodes.values()) {
            if (port.equals(r.infoPort) && sameHost(host, r.infoHost)) {
                return r;
            }
        }
        return null;
    }

    private static boolean sameHost(String a, String b) {
        if (b == null) {
            return false;
        }
        if (a.equalsIgnoreCase(b)) {
            return true;
        }
        try {
            return InetAddress.getByName(a).equals(InetAddress.getByName(b));
        } catch (IOException e) {
            return false;
        }
    }
}

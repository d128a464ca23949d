package io.meshbus.transport;

import java.net.URI;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.ServiceLoader;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Transports by URI scheme: those found by {@link ServiceLoader} plus any registered by the application. An unknown
 * scheme fails with the list of the known ones.
 */
public final class Transports {
    private final Map<String, Transport> byScheme = new ConcurrentHashMap<>();

    private Transports() {
    }

    /** The transports on the class path (tcp, mem, and any plug-in with a service entry). */
    public static Transports discover() {
        Transports t = new Transports();
        for (Transport transport : ServiceLoader.load(Transport.class, Transports.class.getClassLoader())) {
            t.register(transport);
        }
        return t;
    }

    /** Adds (or replaces) a transport for each of its schemes. */
    public Transports register(Transport transport) {
        Objects.requireNonNull(transport, "transport");
        if (transport.schemes() == null || transport.schemes().isEmpty()) {
            throw new IllegalArgumentException("transport: " + transport.getClass().getName() + " names no scheme");
        }
        for (String s : transport.schemes()) {
            byScheme.put(s.toLowerCase(Locale.ROOT), transport);
        }
        return this;
    }

    /** The transport for a URI's scheme. */
    public Transport forUri(URI uri) {
        Objects.requireNonNull(uri, "uri");
        String scheme = uri.getScheme();
        Transport t = scheme == null ? null : byScheme.get(scheme.toLowerCase(Locale.ROOT));
        if (t == null) {
            throw new IllegalArgumentException("uri: '" + uri + "' has no known transport; valid schemes are "
                    + String.join(", ", new TreeMap<>(byScheme).keySet()));
        }
        return t;
    }
}

package io.meshbus.route;

import java.util.Map;
import java.util.Objects;
import java.util.ServiceLoader;
import java.util.TreeMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The distro API in Java: {@code Distro.create("tcp").server(info)} and {@code .client(info)}, with routed handlers
 * per verb and URI, RECEIVED confirmations and request/reply. Transports by name, or as an object.
 */
public final class Distro {
    private final DistroTransport transport;
    private final Logger logger;

    private Distro(DistroTransport transport, Logger logger) {
        this.transport = transport;
        this.logger = logger;
    }

    /** A factory for the named transport, logging to SLF4J. */
    public static Distro create(String transport) {
        return create(transport, LoggerFactory.getLogger(Distro.class));
    }

    public static Distro create(String transport, Logger logger) {
        if (transport == null) {
            throw new IllegalArgumentException("Indicate the transport to use or provide your own.");
        }
        Map<String, DistroTransport> known = transports();
        DistroTransport t = known.get(transport);
        if (t == null) {
            throw new IllegalArgumentException("'" + transport + "' is not a valid transport. Valid transports are: "
                    + String.join(", ", known.keySet()) + ".");
        }
        return create(t, logger);
    }

    /** A factory for a transport object (a plug-in the class path does not register, say). */
    public static Distro create(DistroTransport transport, Logger logger) {
        if (transport == null || transport.name() == null) {
            throw new IllegalArgumentException("Provide a valid transport.");
        }
        if (logger == null) {
            throw new IllegalArgumentException("Provide a valid logger.");
        }
        return new Distro(transport, logger);
    }

    /** Every transport by name: the built-in ones and the plug-ins on the class path. */
    public static Map<String, DistroTransport> transports() {
        Map<String, DistroTransport> m = new TreeMap<>();
        for (String s : new String[] {"tcp", "ws", "mem"}) {
            m.put(s, new NodeCarrier(s));
        }
        m.put("udp4", new UdpCarrier(false));
        m.put("udp6", new UdpCarrier(true));
        for (DistroTransport t : ServiceLoader.load(DistroTransport.class, Distro.class.getClassLoader())) {
            m.put(t.name(), t);
        }
        return m;
    }

    public Server server(Info info) {
        return transport.server(Objects.requireNonNull(info, "info"), logger);
    }

    public Client client(Info info) {
        return transport.client(Objects.requireNonNull(info, "info"), logger);
    }

    public String transportName() {
        return transport.name();
    }
}

package io.meshbus.route;

import org.slf4j.Logger;

/**
 * A carrier for the distro API, found by name: built in {@code tcp}, {@code ws}, {@code mem}, {@code udp4} and
 * {@code udp6}; plug-ins (such as {@code redis}) register through
 * {@code META-INF/services/io.meshbus.route.DistroTransport}.
 */
public interface DistroTransport {
    String name();

    Server server(Info info, Logger logger);

    Client client(Info info, Logger logger);
}

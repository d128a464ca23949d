package io.meshbus.bus;

import java.net.URI;

/**
 * Where a peer lives: its host's id and the address that host advertises (null for a host that does not listen).
 */
public record HostAddress(String hostId, URI address) {
}

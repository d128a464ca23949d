package io.meshbus.node;

import java.util.function.Predicate;
import java.util.function.Supplier;

/**
 * What a handshake shows of this node and asks of the other side: its id and incarnation, the address it advertises
 * (known once it listens), its credentials, the network secret and the authenticator (either may be null), and
 * whether it keeps a remote.
 */
record LocalNode(String id, long incarnation, Supplier<String> advertised, byte[] credentials, Secret secret,
                 Authenticator authenticator, Predicate<String> keeps) {
}

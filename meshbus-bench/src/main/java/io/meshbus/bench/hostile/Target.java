package io.meshbus.bench.hostile;

import java.net.URI;

/** Where an attack aims: the host's tcp and ws listeners and its status page, all on 127.0.0.1. */
record Target(URI tcp, URI ws, URI status) {
}

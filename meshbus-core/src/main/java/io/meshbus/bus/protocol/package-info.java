/**
 * The bus protocol's shared vocabulary: op names ({@link io.meshbus.bus.protocol.BusOps}), the narrow context every
 * room of a host is given ({@link io.meshbus.bus.protocol.BusContext}), the carrier between hosts, the clock and the
 * counters. Internal to Meshbus: public only so the rooms in the sibling packages can share it.
 */
package io.meshbus.bus.protocol;

/**
 * What carries bus messages between hosts: a mesh of node links, or a broker behind a
 * {@link io.meshbus.bus.Backplane}. Internal to Meshbus.
 */
package io.meshbus.bus.carrier;

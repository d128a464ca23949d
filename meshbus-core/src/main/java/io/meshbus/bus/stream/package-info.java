/**
 * At-least-once delivery: one numbered stream per pair of hosts and direction, cumulative acknowledgements and
 * go-back-N resends (see {@link io.meshbus.bus.stream.AtLeastOnce}). Internal to Meshbus.
 */
package io.meshbus.bus.stream;

/**
 * Transports: the {@link io.meshbus.transport.Transport} SPI and its built-in {@code tcp} and {@code mem}
 * implementations. Transports run on Netty event loops; they never block and never call user code. Depends on
 * {@code wire} and below only.
 */
package io.meshbus.transport;

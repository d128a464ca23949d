/**
 * The exception hierarchy: one unchecked base, {@link io.meshbus.error.MeshbusException}, and one subtype per failure a
 * caller can act on. This package depends on nothing else in Meshbus.
 */
package io.meshbus.error;

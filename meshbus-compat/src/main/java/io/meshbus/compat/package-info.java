/**
 * Wire compatibility with the Node originals: distro 0.4.0 JSON messages ({@link DistroJson}, the
 * {@code distro+tcp}/{@code distro+udp4}/{@code distro+udp6} distro transports), masterless 0.4.1 nodes
 * ({@link MasterlessNode}, {@code masterless+tcp://}) and distribus 0.4.0 networks ({@link DistribusGateway},
 * {@code distribus+ws://}). The native protocol stays the default; a dialect is chosen by URI scheme
 * ({@link Dialect}).
 */
package io.meshbus.compat;

/** Who is in a host's network: joining, hellos and the network id, member lists, goodbyes. Internal to Meshbus. */
package io.meshbus.bus.membership;

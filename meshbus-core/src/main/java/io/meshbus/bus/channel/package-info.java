/** What other hosts subscribe to, as this host keeps it: the interest protocol. Internal to Meshbus. */
package io.meshbus.bus.channel;

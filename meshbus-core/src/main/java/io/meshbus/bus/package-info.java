/**
 * The bus: hosts that join into one network, peers addressed by id on any host, confirmed sends, requests, and the
 * directory that finds peers. Built on {@code node}; never touches the wire or transports directly. Listeners run on
 * the node's executor, serially per peer.
 */
package io.meshbus.bus;

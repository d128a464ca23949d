/**
 * Nodes: identity (id + incarnation), links with their handshake and de-duplication, keep and reconnect, heartbeats,
 * bounded send queues and multi-dispatch. Threading rules: link handlers run on Netty event loops and never block or
 * call user code; listeners and future callbacks run on the node's executor, serially per remote node. Depends on
 * {@code transport}, {@code wire}, {@code message}, {@code codec} and {@code error}.
 */
package io.meshbus.node;

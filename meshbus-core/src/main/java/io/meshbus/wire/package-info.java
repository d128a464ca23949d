/**
 * The wire: frame layout, encoding and decoding, protocol constants and limits. Handlers here run on Netty event
 * loops and never block or call user code. Depends on {@code message}, {@code codec} and {@code error}.
 */
package io.meshbus.wire;

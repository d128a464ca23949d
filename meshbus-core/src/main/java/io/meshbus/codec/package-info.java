/**
 * Payload codecs (JSON, MessagePack, UTF-8 text, raw bytes) and the content types that name them. The lowest layer
 * with {@code error}: it knows nothing of messages or the wire. Codecs are thread-safe.
 */
package io.meshbus.codec;

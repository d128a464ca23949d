/**
 * The message: id, headers, payload bytes and content type, immutable and safe to share between threads. Depends only
 * on {@code codec} and {@code error}.
 */
package io.meshbus.message;

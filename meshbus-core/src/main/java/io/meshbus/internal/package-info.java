/**
 * Building blocks shared by several layers that are not API: they may change without notice. Depends on nothing else
 * in Meshbus.
 */
package io.meshbus.internal;

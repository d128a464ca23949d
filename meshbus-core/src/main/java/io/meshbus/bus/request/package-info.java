/**
 * Operations that wait for another host's answer: the pending table with its deadlines, and the control calls
 * between hosts. Internal to Meshbus.
 */
package io.meshbus.bus.request;

/**
 * Where peers live: rendezvous-hashed owners, registration and its moves when members change, lookups with one
 * request per id, the location cache, and resolvers. Internal to Meshbus.
 */
package io.meshbus.bus.directory;

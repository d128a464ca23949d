package io.meshbus.nats;

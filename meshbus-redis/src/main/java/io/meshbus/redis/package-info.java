package io.meshbus.redis;

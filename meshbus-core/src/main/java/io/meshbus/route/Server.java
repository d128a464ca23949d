package io.meshbus.route;

import java.util.concurrent.CompletableFuture;

/**
 * A server of the distro API: a {@link Router} behind a transport. Handlers can be added before or after start.
 */
public interface Server {
    /** The server's router: {@code server.router().post("/orders", ...)}, or use the shortcuts below. */
    Router router();

    CompletableFuture<Server> start();

    /** Where clients reach it (the real port once started). */
    Info info();

    CompletableFuture<Void> close();

    default Server receive(RouteHandler h) {
        router().receive(h);
        return this;
    }

    default Server head(String uri, RouteHandler h) {
        router().head(uri, h);
        return this;
    }

    default Server get(String uri, RouteHandler h) {
        router().get(uri, h);
        return this;
    }

    default Server post(String uri, RouteHandler h) {
        router().post(uri, h);
        return this;
    }

    default Server put(String uri, RouteHandler h) {
        router().put(uri, h);
        return this;
    }

    default Server patch(String uri, RouteHandler h) {
        router().patch(uri, h);
        return this;
    }

    /** distro called it {@code del}. */
    default Server delete(String uri, RouteHandler h) {
        router().delete(uri, h);
        return this;
    }
}

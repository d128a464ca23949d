package io.meshbus.route;

import io.meshbus.message.Verb;
import java.util.concurrent.CompletableFuture;

/**
 * A server of the distro API: a {@link Router} behind a transport. Handlers can be added before or after start.
 */
public interface Server extends VerbRoutes<Server> {
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

    /**
     * A route for any verb. The verb shortcuts of {@link VerbRoutes} call it, so a server that must do more for each route (subscribe
     * its channel, say) overrides this one method.
     */
    @Override
    default Server on(Verb verb, String uri, RouteHandler h) {
        router().on(verb, uri, h);
        return this;
    }
}

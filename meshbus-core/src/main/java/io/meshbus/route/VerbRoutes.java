package io.meshbus.route;

import io.meshbus.message.Verb;

/**
 * The verb shortcuts of anything that takes routes (a {@link Router}, a {@link Server}): each is
 * {@link #on(Verb, String, RouteHandler)} with its verb, so an implementation that must do more per route overrides
 * that one method.
 *
 * @param <T> the type the shortcuts return, for chaining
 */
public interface VerbRoutes<T> {
    /** A route for any verb. */
    T on(Verb verb, String uriPattern, RouteHandler handler);

    default T head(String uriPattern, RouteHandler handler) {
        return on(Verb.HEAD, uriPattern, handler);
    }

    default T get(String uriPattern, RouteHandler handler) {
        return on(Verb.GET, uriPattern, handler);
    }

    default T post(String uriPattern, RouteHandler handler) {
        return on(Verb.POST, uriPattern, handler);
    }

    default T put(String uriPattern, RouteHandler handler) {
        return on(Verb.PUT, uriPattern, handler);
    }

    default T patch(String uriPattern, RouteHandler handler) {
        return on(Verb.PATCH, uriPattern, handler);
    }

    /** distro called it {@code del}. */
    default T delete(String uriPattern, RouteHandler handler) {
        return on(Verb.DELETE, uriPattern, handler);
    }
}

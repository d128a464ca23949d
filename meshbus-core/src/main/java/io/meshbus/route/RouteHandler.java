package io.meshbus.route;

/**
 * Handles routed messages. The value returned is the reply to a request (null for none); an exception becomes an
 * ERROR response with its text and never reaches the transport.
 */
@FunctionalInterface
public interface RouteHandler {
    Object handle(RouteContext context) throws Exception;
}

package io.meshbus.route;

import io.meshbus.message.Headers;
import io.meshbus.message.Message;
import io.meshbus.message.Verb;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.LongAdder;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Routes messages by verb and URI, like a tiny HTTP: {@link #receive} handlers see every message; route handlers run
 * when the verb matches and the URI matches their pattern ({@link UriPattern}). A message without a verb is a GET.
 * All matching handlers run, in registration order; the first non-null value one returns is the reply. A handler that
 * throws is logged and counted, the remaining ones still run, and the response is an ERROR with its text.
 * Thread-safe; attach one router to as many servers, nodes or peers as you like.
 */
public final class Router implements VerbRoutes<Router> {
    private static final Logger LOG = LoggerFactory.getLogger(Router.class);

    private record Route(UriPattern pattern, RouteHandler handler) {
    }

    private final List<RouteHandler> receivers = new CopyOnWriteArrayList<>();
    private final Map<Verb, List<Route>> routes = new EnumMap<>(Verb.class);
    final LongAdder handled = new LongAdder();
    final LongAdder notFound = new LongAdder();
    final LongAdder failed = new LongAdder();

    public Router() {
        for (Verb v : Verb.values()) {
            routes.put(v, new CopyOnWriteArrayList<>());
        }
    }

    /** A handler for every message, whatever its verb and URI (distro's {@code receive}). */
    public Router receive(RouteHandler handler) {
        receivers.add(check(handler));
        return this;
    }

    @Override
    public Router on(Verb verb, String uriPattern, RouteHandler handler) {
        routes.get(verb).add(new Route(new UriPattern(uriPattern), check(handler)));
        return this;
    }

    private static RouteHandler check(RouteHandler h) {
        if (h == null) {
            throw new IllegalArgumentException("handler: must not be null");
        }
        return h;
    }

    /**
     * Runs the handlers for a message and says what happened. Never throws: a bad verb or a failing handler is an
     * ERROR response, no matching route a NOT_FOUND one (after the receive handlers have run).
     */
    public Outcome dispatch(Message m, String from) {
        String uri = m.header(Headers.URI);
        Verb verb;
        try {
            verb = Verb.parse(m.header(Headers.VERB));
        } catch (IllegalArgumentException e) {
            failed.increment();
            return new Outcome(Status.ERROR, null, e.getMessage());
        }
        String error = null;
        Object reply = null;
        for (RouteHandler h : receivers) {
            try {
                Object r = h.handle(new RouteContext(m, verb, uri, Map.of(), from));
                reply = reply == null ? r : reply;
            } catch (Exception e) {
                error = fail(verb, uri, e, error);
            }
        }
        boolean matched = false;
        if (uri != null) {
            List<String> segments = UriPattern.split(uri);
            for (Route r : routes.get(verb)) {
                Map<String, String> params = r.pattern.match(segments);
                if (params == null) {
                    continue;
                }
                matched = true;
                try {
                    Object out = r.handler.handle(new RouteContext(m, verb, uri, params, from));
                    reply = reply == null ? out : reply;
                } catch (Exception e) {
                    error = fail(verb, uri, e, error);
                }
            }
        }
        if (error != null) {
            return new Outcome(Status.ERROR, null, error);
        }
        if (!matched && receivers.isEmpty()) {
            notFound.increment();
            return new Outcome(Status.NOT_FOUND, null, "no route for " + verb + " " + uri);
        }
        handled.increment();
        return new Outcome(Status.OK, reply, null);
    }

    private String fail(Verb verb, String uri, Exception e, String first) {
        failed.increment();
        LOG.warn("handler for {} {} failed", verb, uri, e);
        return first != null ? first : "handler for " + verb + " " + uri + " failed: " + e;
    }

    /** What {@link #dispatch} did: a status, the reply value (may be null) and an error text. */
    public record Outcome(Status status, Object reply, String error) {
    }

    /** Counters: handled, notFound, failed. */
    public Map<String, Long> metrics() {
        return Map.of("handled", handled.sum(), "notFound", notFound.sum(), "failed", failed.sum());
    }
}

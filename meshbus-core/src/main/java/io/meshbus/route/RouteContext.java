package io.meshbus.route;

import io.meshbus.message.Message;
import io.meshbus.message.Verb;
import java.util.Map;

/** What a handler sees: the message, its verb and URI, the parameters the pattern captured, and the sender. */
public record RouteContext(Message message, Verb verb, String uri, Map<String, String> params, String from) {
    /** A captured parameter ({@code {id}} in {@code /orders/{id}}), or null. */
    public String param(String name) {
        return params.get(name);
    }

    /** Decodes the payload (see {@link Message#decode(Class)}). */
    public <T> T body(Class<T> type) {
        return message.decode(type);
    }
}

package io.meshbus.cli;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import com.fasterxml.jackson.dataformat.yaml.YAMLGenerator;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.net.URI;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import picocli.CommandLine;

/**
 * {@code --print-config}: every option of the command with the value it ended with (flags, --config file,
 * environment, properties file, default), as YAML a {@code --config} file takes back. Secrets are masked: the
 * password of an address ({@code redis://user:****@host}) and query parameters that carry one.
 */
final class EffectiveConfig {
    private static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory()
            .disable(YAMLGenerator.Feature.WRITE_DOC_START_MARKER)
            .enable(YAMLGenerator.Feature.MINIMIZE_QUOTES));
    private static final Pattern SECRET_PARAM = Pattern.compile("(?i)([?&](?:password|pass|token|secret)=)[^&#]*");
    static final String MASK = "****";

    private EffectiveConfig() {
    }

    static String yaml(CommandLine.Model.CommandSpec command) {
        Map<String, Object> out = new LinkedHashMap<>();
        for (String key : ConfigDefaults.keys(command).keySet()) {
            Object v = command.findOption("--" + key).getValue();
            if (v == null) {
                continue;
            }
            if (v instanceof List<?> l) {
                List<Object> masked = new ArrayList<>();
                l.forEach(x -> masked.add(mask(x)));
                out.put(key, masked);
            } else {
                out.put(key, mask(v));
            }
        }
        try {
            return YAML.writeValueAsString(out);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }

    /** The value with any password in it replaced by {@link #MASK}; numbers and booleans stay as they are. */
    static Object mask(Object v) {
        if (!(v instanceof String s)) {
            return v;
        }
        String r = s;
        try {
            URI u = new URI(s);
            String info = u.getRawUserInfo();
            if (u.getScheme() != null && info != null && info.contains(":")) {
                r = r.replace(info + "@", info.substring(0, info.indexOf(':')) + ":" + MASK + "@");
            } else if (u.getScheme() != null && info != null && u.getScheme().startsWith("redis")) {
                // redis://secret@host: Redis takes a lone user info as the password.
                r = r.replace(info + "@", MASK + "@");
            }
        } catch (java.net.URISyntaxException e) {
            // not an address: nothing to mask there
        }
        Matcher m = SECRET_PARAM.matcher(r);
        return m.replaceAll("$1" + MASK);
    }
}

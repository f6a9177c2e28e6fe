package io.tally.server;

import io.javalin.http.Context;
import java.util.Locale;
import java.util.Set;
import java.util.TreeSet;

/**
 * Refuses requests whose {@code Host} names a site this server does not serve: the defence against DNS rebinding,
 * where a page on {@code attacker.example} has its name re-pointed at 127.0.0.1 and then reads and cancels jobs with
 * the browser's same-origin blessing (the {@code Origin} then matches the {@code Host}, so {@link CrossSiteGuard}
 * cannot tell). A request must name the loopback (localhost, 127.0.0.1, [::1]), the address the server is bound to,
 * or a host given with {@code allowedHost}; else it gets 421 {@code misdirected}. A server bound to every interface
 * (0.0.0.0, ::) cannot know the names it is reached by, so it takes any host until allowed hosts are given.
 */
final class HostGuard {
    private static final Set<String> LOOPBACK = Set.of("localhost", "127.0.0.1", "::1");

    private final Set<String> allowed = new TreeSet<>();
    private final boolean anyHost;

    /**
     * @param boundHost the address the server listens on
     * @param allowedHosts further names the server is reached by (a proxy's, a machine's), without port
     */
    HostGuard(String boundHost, Set<String> allowedHosts) {
        String bound = name(boundHost);
        boolean wildcard = bound.equals("0.0.0.0") || bound.equals("::") || bound.equals("0:0:0:0:0:0:0:0");
        anyHost = wildcard && allowedHosts.isEmpty();
        allowed.addAll(LOOPBACK);
        if (!wildcard) {
            allowed.add(bound);
        }
        allowedHosts.forEach(h -> allowed.add(name(h)));
    }

    /** A before-handler for every path. */
    void check(Context ctx) {
        String host = ctx.header("Host");
        if (anyHost || host == null) { // HTTP/1.1 requires Host (Jetty refuses a request without); HTTP/1.0 has none
            return;
        }
        if (!allowed.contains(name(host))) {
            throw new ApiException(
                    421,
                    "misdirected",
                    "this server does not serve the host " + Input.clip(host)
                            + "; start it with --allowed-host NAME to serve that name");
        }
    }

    /** @return the host of a {@code Host} header or address, lower-case, without port and brackets */
    static String name(String hostAndPort) {
        String h = hostAndPort.strip().toLowerCase(Locale.ROOT);
        if (h.startsWith("[")) {
            int end = h.indexOf(']');
            return end < 0 ? h : h.substring(1, end);
        }
        int colon = h.indexOf(':');
        // One colon: host:port. More: a bare IPv6 address (an address given to bind, not a Host header).
        return colon >= 0 && h.indexOf(':', colon + 1) < 0 ? h.substring(0, colon) : h;
    }
}

package io.budgetguard.http;

import io.budgetguard.config.Settings;

/** The JDK HTTP server's {@code sun.net.httpserver.*} properties, from the gateway's settings. */
public final class JdkServerProperties {
    static final long LINGER_DRAIN_BYTES = 64L * 1024 * 1024;

    private JdkServerProperties() {}

    /**
     * The JDK server reads its {@code sun.net.httpserver.*} properties once, in a static initializer
     * (DESIGN §7b): they are set here, before the first server is created, unless the operator set them.
     */
    public static void configure(Settings s) {
        setDefault("sun.net.httpserver.nodelay", "true");
        setDefault("sun.net.httpserver.maxReqHeaderSize", Integer.toString(s.maxHeaderBytes()));
        setDefault("sun.net.httpserver.maxReqHeaders", "200");
        setDefault("sun.net.httpserver.maxReqTime", Long.toString(Math.max(1, s.requestReadTimeoutMs() / 1000)));
        setDefault("sun.net.httpserver.idleInterval", Long.toString(Math.max(1, s.clientIdleTimeoutMs() / 1000)));
        setDefault("sun.net.httpserver.maxIdleConnections", Integer.toString(Math.max(200, s.maxInflightRequests())));
        // A connection whose response was aborted (a cut upstream body) never reports its end to the JDK server;
        // its response timer reaps it, long after our own request deadline has ended the call.
        setDefault("sun.net.httpserver.maxRspTime", Long.toString(s.requestDeadlineMs() / 1000 + 60));
        // The unread rest of a refused body (413 past MAX_BODY_BYTES) is read and discarded before the connection
        // closes: closing with unread bytes makes TCP reset it, and the client would never see its 413. As much as
        // the largest body limit, and never longer than the request read timeout (which closes the exchange).
        setDefault("sun.net.httpserver.drainAmount", Long.toString(LINGER_DRAIN_BYTES));
    }

    private static void setDefault(String key, String value) {
        if (System.getProperty(key) == null) System.setProperty(key, value);
    }
}

package io.budgetguard.proxy;

import java.io.IOException;

/** The upstream broke HTTP/1.1 framing: a protocol error, answered as 502. */
final class UpstreamProtocolException extends IOException {
    UpstreamProtocolException(String message) {
        super(message);
    }
}

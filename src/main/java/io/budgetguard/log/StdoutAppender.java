package io.budgetguard.log;

import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.OutputStreamAppender;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;

/**
 * Logback's console appender with a target the tests can swap ({@link JsonLog#redirect}): the process's stdout
 * as it was when logging started, so other writers to {@code System.out} (a test engine's report) never mix
 * into the log, nor the log into theirs.
 */
public final class StdoutAppender extends OutputStreamAppender<ILoggingEvent> {
    static volatile PrintStream target = System.out;

    @Override
    public void start() {
        setOutputStream(new OutputStream() {
            @Override
            public void write(int b) {
                target.write(b);
            }

            @Override
            public void write(byte[] b, int off, int len) {
                target.write(b, off, len);
            }

            @Override
            public void flush() throws IOException {
                target.flush();
            }
        });
        super.start();
    }
}

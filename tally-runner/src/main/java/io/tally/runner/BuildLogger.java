package io.tally.runner;

import java.io.PrintWriter;
import java.io.StringWriter;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.slf4j.Marker;
import org.slf4j.MarkerFactory;
import org.slf4j.event.Level;
import org.slf4j.helpers.LegacyAbstractLogger;
import org.slf4j.helpers.MessageFormatter;

/**
 * {@code ctx.log()}: a logger that writes straight to the build's log at every level (whatever the backend and its
 * configured levels), and forwards to the application's logging too. Forwarded events carry {@link #CAPTURED} so the
 * appender does not store them a second time.
 */
final class BuildLogger extends LegacyAbstractLogger {
    /** Marks events already stored with the build. */
    static final Marker CAPTURED = MarkerFactory.getMarker("TALLY_CAPTURED");

    private static final long serialVersionUID = 1L;

    private final transient BuildLog sink;
    private final transient Logger delegate;

    BuildLogger(String name, BuildLog sink) {
        this.name = name;
        this.sink = sink;
        this.delegate = LoggerFactory.getLogger(name);
    }

    @Override
    public boolean isTraceEnabled() {
        return true;
    }

    @Override
    public boolean isDebugEnabled() {
        return true;
    }

    @Override
    public boolean isInfoEnabled() {
        return true;
    }

    @Override
    public boolean isWarnEnabled() {
        return true;
    }

    @Override
    public boolean isErrorEnabled() {
        return true;
    }

    @Override
    protected String getFullyQualifiedCallerName() {
        return null;
    }

    @Override
    protected void handleNormalizedLoggingCall(
            Level level, Marker marker, String pattern, Object[] arguments, Throwable throwable) {
        String message = MessageFormatter.basicArrayFormat(pattern, arguments);
        sink.append(level, name, withStack(message, throwable));
        if (delegate.isEnabledForLevel(level)) {
            delegate.atLevel(level).addMarker(CAPTURED).setCause(throwable).log(message);
        }
    }

    static String withStack(String message, Throwable t) {
        if (t == null) {
            return message;
        }
        StringWriter out = new StringWriter();
        t.printStackTrace(new PrintWriter(out));
        return message + "\n" + out;
    }
}

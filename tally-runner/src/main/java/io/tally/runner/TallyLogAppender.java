package io.tally.runner;

import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.classic.spi.IThrowableProxy;
import ch.qos.logback.classic.spi.ThrowableProxyUtil;
import ch.qos.logback.core.UnsynchronizedAppenderBase;
import java.util.List;
import org.slf4j.Marker;
import org.slf4j.event.Level;

/**
 * The Logback appender that stores log events with the build they belong to: an event whose MDC holds
 * {@link LogContext#MDC_KEY} goes to that build's log, with its level, logger name, message and stack text. Events
 * without the key, and events for builds not running in this process, are ignored.
 *
 * <p>The runner attaches one to the root logger itself (see {@code Runner.Builder.captureLogs}); to configure it in
 * {@code logback.xml} instead:
 *
 * <pre>{@code
 * <appender name="TALLY" class="io.tally.runner.TallyLogAppender"/>
 * <root level="INFO"><appender-ref ref="TALLY"/></root>
 * }</pre>
 *
 * Only events that pass the loggers' levels reach any appender: set the levels you want captured.
 */
public class TallyLogAppender extends UnsynchronizedAppenderBase<ILoggingEvent> {
    // Writing a batch calls the store, whose driver may log on this thread: those events must not come back here.
    private static final ThreadLocal<Boolean> APPENDING = ThreadLocal.withInitial(() -> false);

    @Override
    protected void append(ILoggingEvent event) {
        String buildId = event.getMDCPropertyMap().get(LogContext.MDC_KEY);
        if (buildId == null || APPENDING.get() || captured(event)) {
            return;
        }
        BuildLog log = BuildLog.find(buildId);
        if (log == null) {
            return;
        }
        APPENDING.set(true);
        try {
            String message = event.getFormattedMessage();
            IThrowableProxy t = event.getThrowableProxy();
            if (t != null) {
                message = message + "\n" + ThrowableProxyUtil.asString(t);
            }
            log.append(Level.valueOf(event.getLevel().toString()), event.getLoggerName(), message);
        } finally {
            APPENDING.set(false);
        }
    }

    private static boolean captured(ILoggingEvent event) {
        List<Marker> markers = event.getMarkerList();
        return markers != null && markers.contains(BuildLogger.CAPTURED);
    }
}

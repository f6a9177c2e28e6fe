package io.tally.cli;

import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.ILoggerFactory;
import org.slf4j.Logger;
import org.slf4j.Marker;
import org.slf4j.event.Level;
import org.slf4j.event.LoggingEvent;
import org.slf4j.helpers.LegacyAbstractLogger;
import org.slf4j.simple.SimpleServiceProvider;
import org.slf4j.spi.LoggingEventAware;
import org.slf4j.spi.LoggingEventBuilder;

/**
 * The CLI's SLF4J provider: slf4j-simple (configured by {@code simplelogger.properties}), minus one thing. tally-runner
 * forwards each {@code ctx.log()} record to the application's logging with the marker {@code TALLY_CAPTURED}, so that
 * its Logback appender does not store the record twice; slf4j-simple prints marker names, so the CLI's stderr showed
 * that internal marker in front of every forwarded line. This provider drops that marker and passes everything else
 * through. The shaded jar registers this provider alone (tally-cli's pom leaves slf4j-simple's registration out).
 */
public final class CliLogProvider extends SimpleServiceProvider {
    /** The marker tally-runner puts on records it has stored already (its {@code BuildLogger.CAPTURED}). */
    static final String CAPTURED = "TALLY_CAPTURED";

    private volatile ILoggerFactory factory;

    /** Called by SLF4J's {@code ServiceLoader}. */
    public CliLogProvider() {}

    @Override
    public void initialize() {
        super.initialize();
        ILoggerFactory simple = super.getLoggerFactory();
        Map<String, Logger> loggers = new ConcurrentHashMap<>();
        factory = name -> loggers.computeIfAbsent(name, n -> new WithoutCapturedMarker(simple.getLogger(n)));
    }

    @Override
    public ILoggerFactory getLoggerFactory() {
        return factory;
    }

    /** A logger that hands every call to slf4j-simple's, without the {@value #CAPTURED} marker. */
    static final class WithoutCapturedMarker extends LegacyAbstractLogger implements LoggingEventAware {
        private static final long serialVersionUID = 1L;

        private final transient Logger delegate;

        WithoutCapturedMarker(Logger delegate) {
            this.delegate = delegate;
            this.name = delegate.getName();
        }

        @Override
        public boolean isTraceEnabled() {
            return delegate.isTraceEnabled();
        }

        @Override
        public boolean isDebugEnabled() {
            return delegate.isDebugEnabled();
        }

        @Override
        public boolean isInfoEnabled() {
            return delegate.isInfoEnabled();
        }

        @Override
        public boolean isWarnEnabled() {
            return delegate.isWarnEnabled();
        }

        @Override
        public boolean isErrorEnabled() {
            return delegate.isErrorEnabled();
        }

        @Override
        protected String getFullyQualifiedCallerName() {
            return null;
        }

        @Override
        protected void handleNormalizedLoggingCall(
                Level level, Marker marker, String pattern, Object[] arguments, Throwable throwable) {
            pass(level, marker == null ? List.of() : List.of(marker), pattern, arguments, throwable);
        }

        /**
         * The fluent calls ({@code atWarn().addMarker(…).log(…)}, as tally-runner makes them) arrive here: without
         * this, SLF4J would write the markers' names into the message text before it reached slf4j-simple.
         */
        @Override
        public void log(LoggingEvent event) {
            List<Object> args = event.getArguments();
            pass(
                    event.getLevel(),
                    event.getMarkers() == null ? List.of() : event.getMarkers(),
                    event.getMessage(),
                    args == null ? null : args.toArray(),
                    event.getThrowable());
        }

        private void pass(Level level, List<Marker> markers, String pattern, Object[] arguments, Throwable t) {
            LoggingEventBuilder b = delegate.atLevel(level).setMessage(pattern).setCause(t);
            for (Marker m : markers) {
                if (!m.getName().equals(CAPTURED)) {
                    b.addMarker(m);
                }
            }
            if (arguments != null) {
                for (Object a : arguments) {
                    b.addArgument(a);
                }
            }
            b.log();
        }
    }
}

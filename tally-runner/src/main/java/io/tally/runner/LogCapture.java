package io.tally.runner;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.Appender;
import java.util.Iterator;
import org.slf4j.LoggerFactory;

/**
 * Attaches a {@link TallyLogAppender} to Logback's root logger unless one is attached already. Kept apart from
 * {@link Runner} so that an application without Logback only fails here (and is told so), never when loading the
 * runner.
 */
final class LogCapture {
    private LogCapture() {}

    /** @return true if SLF4J events are now captured; false if the SLF4J backend is not Logback */
    static synchronized boolean install() {
        try {
            if (!(LoggerFactory.getILoggerFactory() instanceof LoggerContext context)) {
                return false;
            }
            Logger root = context.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME);
            for (Iterator<Appender<ILoggingEvent>> it = root.iteratorForAppenders(); it.hasNext(); ) {
                if (it.next() instanceof TallyLogAppender) {
                    return true;
                }
            }
            TallyLogAppender appender = new TallyLogAppender();
            appender.setName("TALLY");
            appender.setContext(context);
            appender.start();
            root.addAppender(appender);
            return true;
        } catch (LinkageError noLogback) {
            return false;
        }
    }
}

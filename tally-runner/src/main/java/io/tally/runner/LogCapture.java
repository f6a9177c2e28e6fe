package io.tally.runner;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.Appender;
import io.tally.internal.OptionalDependency;
import java.util.Iterator;
import org.slf4j.LoggerFactory;

/**
 * Attaches a {@link TallyLogAppender} to Logback's root logger unless one is attached already. Logback is not a
 * dependency of the runner (a library leaves the logging backend to the application): without it, or with another
 * SLF4J backend, builds keep their {@code ctx.log()} records only, and the first runner says so in one line.
 *
 * <p>Only {@link Logback} names Logback's classes: this class must load without them.
 */
final class LogCapture {
    private static final org.slf4j.Logger log = LoggerFactory.getLogger(Runner.class);

    static final OptionalDependency LOGBACK = OptionalDependency.of(
                    "capturing the SLF4J logging of builds",
                    "ch.qos.logback.classic.Logger",
                    "ch.qos.logback:logback-classic")
            .orElse("set Runner.builder(…).captureLogs(false)");

    private static boolean noticeGiven;

    private LogCapture() {}

    /** @return true if SLF4J events are now captured; false (after a one-line notice) if the backend is not Logback */
    static synchronized boolean install() {
        String why;
        if (!LOGBACK.present(LogCapture.class)) {
            why = LOGBACK.missingMessage();
        } else {
            try {
                if (Logback.attach()) {
                    return true;
                }
                why = "capturing the SLF4J logging of builds needs Logback as SLF4J's backend, which is "
                        + LoggerFactory.getILoggerFactory().getClass().getName();
            } catch (LinkageError incomplete) {
                why = LOGBACK.missingMessage() + " (" + incomplete + ")";
            }
        }
        if (!noticeGiven) {
            noticeGiven = true;
            log.info("{}; until then a build's log holds its ctx.log() records only", why);
        }
        return false;
    }

    /** The code that needs Logback's classes, loaded only once they are known to be there. */
    private static final class Logback {
        private Logback() {}

        static boolean attach() {
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
        }
    }
}

package io.tally.runner;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The one redelivery policy every {@link Dispatcher} applies to a delivered message, so that the transports differ only
 * in how they acknowledge, redeliver and dead-letter:
 *
 * <ol>
 *   <li>a message delivered more than {@code maxDeliveries} times (its workers died on it, so no handler ever answered)
 *       is dead-lettered without running;
 *   <li>the handler returns: {@link Verdict#ACK};
 *   <li>the handler throws {@link DeadLetterException} (it gave up and recorded the failure itself): dead-letter;
 *   <li>the handler throws anything else: {@link Verdict#RETRY} while {@code attempt < maxDeliveries}, else
 *       dead-letter.
 * </ol>
 *
 * After moving a message to its dead-letter place the transport calls {@link #deadLettered}, which tells the handler
 * (the runner fails the part and the job with a reason naming the part, the attempts and the place).
 */
final class Deliveries {
    private static final Logger log = LoggerFactory.getLogger(Deliveries.class);

    private Deliveries() {}

    /** What the transport does with a message after its delivery. */
    enum Verdict {
        /** Acknowledge it: done. */
        ACK,
        /** Deliver it again ({@code attempt + 1}). */
        RETRY,
        /** Move it to the dead-letter place, then call {@link #deadLettered}. */
        DEAD_LETTER
    }

    /** The verdict, and the exception behind a retry or a dead letter (null for an ack). */
    record Outcome(Verdict verdict, Exception cause) {}

    /**
     * @param message the message, with {@code attempt} = its deliveries so far, this one included
     * @param maxDeliveries the transport's limit (≥ 1)
     */
    static Outcome deliver(MessageHandler handler, WorkMessage message, int maxDeliveries) {
        if (message.attempt() > maxDeliveries) {
            return new Outcome(
                    Verdict.DEAD_LETTER,
                    new DeadLetterException(describe(message) + " was delivered " + message.attempt()
                            + " times without an answer (its workers died?); limit " + maxDeliveries));
        }
        try {
            handler.handle(message);
            return new Outcome(Verdict.ACK, null);
        } catch (DeadLetterException gaveUp) {
            return new Outcome(Verdict.DEAD_LETTER, gaveUp);
        } catch (Exception e) {
            return new Outcome(message.attempt() >= maxDeliveries ? Verdict.DEAD_LETTER : Verdict.RETRY, e);
        }
    }

    /** Tells the handler that {@code message} now lies in {@code place}; logs, never throws. */
    static void deadLettered(MessageHandler handler, WorkMessage message, String place, Exception cause) {
        log.error(
                "{} dead-lettered to {} after {} deliveries: {}", message, place, message.attempt(), cause.toString());
        try {
            handler.deadLettered(message, place, cause);
        } catch (RuntimeException e) {
            log.error("the handler could not record that {} was dead-lettered", message, e);
        }
    }

    /** @return the reason a dead-lettered message's job fails with: the part, the attempts, the place, the cause */
    static String reason(WorkMessage message, String place, Exception cause) {
        String why = cause instanceof DeadLetterException ? cause.getMessage() : String.valueOf(cause);
        return describe(message) + " was dead-lettered to " + place + " after " + message.attempt()
                + (message.attempt() == 1 ? " delivery: " : " deliveries: ") + why;
    }

    static String describe(WorkMessage m) {
        return WorkMessage.MAP.equals(m.kind())
                ? "part " + m.part() + " of " + m.name() + " job " + m.jobId()
                : m.kind() + " " + m.name() + " (" + m.jobId() + ")";
    }

    /** @return {@code s} as a dead-lettered message's header may carry it: one line, at most 1,000 characters */
    static String oneLine(String s) {
        String line = s.replaceAll("[\\r\\n]+", " ");
        return line.length() > 1000 ? line.substring(0, 1000) + "…" : line;
    }
}

package io.tally.runner;

/**
 * The cancel of one running build. When the runner learns that the build's job was cancelled, {@link #cancel()} marks
 * it, and interrupts the build's thread unless its definition opts out ({@link DefinitionOptions#interruptOnCancel}) —
 * but only while the thread runs the build's function, never during its cleanup or the store writes after it.
 */
final class BuildCancel {
    private final Thread thread;
    private final boolean interrupt;
    private volatile boolean cancelled;
    // Guarded by "this": whether the thread still runs the function, and whether we interrupted it.
    private boolean inFunction = true;
    private boolean interrupted;

    /** @param thread the thread that runs the build's function (the caller's, for the runner) */
    BuildCancel(Thread thread, boolean interrupt) {
        this.thread = thread;
        this.interrupt = interrupt;
    }

    /** @return whether the build's job is known to be cancelled */
    boolean cancelled() {
        return cancelled;
    }

    /** The build's job was cancelled. */
    synchronized void cancel() {
        cancelled = true;
        if (interrupt && inFunction && !interrupted) {
            interrupted = true;
            thread.interrupt();
        }
    }

    /**
     * The function returned or threw: no interrupt from now on, and one of ours the function did not consume is
     * cleared, so the cleanup and the store writes run uninterrupted. Called on the build's thread.
     */
    synchronized void functionEnded() {
        inFunction = false;
        if (interrupted) {
            Thread.interrupted();
        }
    }
}

package io.tally.store;

/**
 * One write to one job, as {@link JobRules#apply} takes it: recorded progress ({@link ProgressUpdate}), part outcomes
 * ({@link PartsWrite}) or a lifecycle change ({@link Transition}). A store that combines the calls of several callers
 * on one job (group commit) hands them to the rules as a list of these, in arrival order.
 */
public sealed interface JobWrite permits ProgressUpdate, PartsWrite, Transition {}

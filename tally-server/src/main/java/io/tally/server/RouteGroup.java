package io.tally.server;

import io.javalin.Javalin;

/** The routes of one resource; {@link TallyServer} registers each group once, when it starts. */
interface RouteGroup {
    /** Adds this group's handlers to {@code app}. */
    void register(Javalin app);
}

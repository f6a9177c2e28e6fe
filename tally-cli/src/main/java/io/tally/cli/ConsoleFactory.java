package io.tally.cli;

import picocli.CommandLine;

/** Creates picocli's command objects and hands each subcommand the {@link Console} it runs against. */
final class ConsoleFactory implements CommandLine.IFactory {
    private final Console console;

    ConsoleFactory(Console console) {
        this.console = console;
    }

    @Override
    public <K> K create(Class<K> cls) throws Exception {
        if (TallyCommand.class.isAssignableFrom(cls)) {
            K k = CommandLine.defaultFactory().create(cls);
            ((TallyCommand) k).console = console;
            return k;
        }
        if (cls == TallyCli.class) {
            return cls.cast(new TallyCli(console));
        }
        return CommandLine.defaultFactory().create(cls);
    }
}

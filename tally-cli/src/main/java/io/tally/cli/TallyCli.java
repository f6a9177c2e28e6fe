package io.tally.cli;

import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/**
 * The {@code tally} command. Exit codes: 0 ok, 1 the job failed ({@code watch}) or the job's state refused the
 * operation, 2 usage error or invalid input, 3 job not found, 4 store unavailable. Errors are one line on stderr; a
 * stack trace only with {@code --verbose}.
 */
@Command(
        name = "tally",
        mixinStandardHelpOptions = true,
        // --help and --version on every subcommand too: "tally create --help" shows its options instead of
        // complaining that --name is missing.
        scope = CommandLine.ScopeType.INHERIT,
        version = "tally 0.1.0",
        description = "Track the progress of long-running and distributed jobs.",
        // Per-command help of options declared once in a mixin (see DefinitionsOption); inherited by subcommands.
        resourceBundle = "io.tally.cli.help",
        exitCodeListHeading = "%nExit codes:%n",
        exitCodeList = {
            "0:ok",
            "1:the job or build failed (watch, build), or its state refused the operation",
            "2:usage error or invalid input",
            "3:job or definition not found",
            "4:store unavailable"
        })
public final class TallyCli implements Callable<Integer> {
    /** Success. */
    public static final int OK = 0;
    /** The job did not succeed (watch), or its state refused the operation. */
    public static final int JOB_FAILED = 1;
    /** Bad command line or input. */
    public static final int USAGE = 2;
    /** No such job. */
    public static final int NOT_FOUND = 3;
    /** The store cannot be reached. */
    public static final int UNAVAILABLE = 4;
    /** The store used when neither {@code --store} nor {@code TALLY_STORE} is given. */
    public static final String DEFAULT_STORE = "sqlite:tally.db";

    /**
     * The subcommands, in the order {@code tally --help} lists them. Registered on demand (see {@link
     * #commandLine}) rather than in the {@code @Command} annotation, because picocli reads every registered command's
     * annotations at start-up, and this is a command people run from shell loops.
     */
    static final List<Class<?>> COMMANDS = List.of(
            ServeCommand.class,
            LsCommand.class,
            InfoCommand.class,
            PendingCommand.class,
            WatchCommand.class,
            CreateCommand.class,
            StartCommand.class,
            ProgressCommand.class,
            LogsCommand.class,
            FinishCommand.class,
            CompleteCommand.class,
            FailCommand.class,
            CancelCommand.class,
            DeleteCommand.class,
            StatsCommand.class,
            SweepCommand.class,
            MigrateCommand.class,
            DefsCommand.class,
            BuildCommand.class,
            BuildsCommand.class,
            WorkerCommand.class,
            CommandLine.HelpCommand.class);

    private final Console console;

    /** @param console where the commands read and write */
    public TallyCli(Console console) {
        this.console = console;
    }

    /** Runs the command line and exits the JVM with its exit code. */
    public static void main(String[] args) {
        System.exit(run(Console.system(), args));
    }

    /**
     * Runs one command line.
     *
     * @return the exit code
     */
    public static int run(Console console, String... args) {
        CommandLine cmd = commandLine(console, args);
        cmd.setOut(console.out());
        cmd.setErr(console.err());
        cmd.setExecutionExceptionHandler((e, commandLine, parseResult) -> {
            boolean verbose = List.of(args).contains("--verbose");
            int code = Errors.exitCode(e);
            console.err().println("tally: " + Errors.message(e, commandLine.getCommandSpec()));
            if (verbose) {
                e.printStackTrace(console.err());
            }
            console.err().flush();
            return code;
        });
        cmd.setParameterExceptionHandler((e, args2) -> {
            console.err().println("tally: " + e.getMessage());
            if (e.getArgSpec() == null || e.getValue() == null) {
                // the command line's shape (an unknown option, a missing parameter): point at the help; a bad value
                // of a known option is one line that names it, as every other refusal
                console.err().println("Try 'tally " + e.getCommandLine().getCommandName() + " --help'.");
            }
            console.err().flush();
            return USAGE;
        });
        int code = cmd.execute(args);
        console.out().flush();
        return code;
    }

    /**
     * @return the command line for {@code args}: when the first argument names a subcommand, only that one is
     *     registered (the others' annotations are never read); otherwise ({@code --help}, {@code help}, nothing, a
     *     typo that picocli answers with suggestions) all of them
     */
    static CommandLine commandLine(Console console, String... args) {
        CommandLine cmd = new CommandLine(new TallyCli(console), new ConsoleFactory(console));
        String first = args.length > 0 ? args[0] : "";
        Class<?> only = null;
        for (Class<?> c : COMMANDS) {
            if (c != CommandLine.HelpCommand.class
                    && c.getAnnotation(Command.class).name().equals(first)) {
                only = c;
            }
        }
        for (Class<?> c : only != null ? List.of(only) : COMMANDS) {
            cmd.addSubcommand(c);
        }
        IntegerConverter.registerOn(cmd); // (after the subcommands: picocli copies converters to those it has)
        return cmd;
    }

    @Override
    public Integer call() {
        commandLine(console).usage(console.out());
        return USAGE;
    }
}

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
        subcommands = {
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
            CommandLine.HelpCommand.class
        },
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
        TallyCli cli = new TallyCli(console);
        CommandLine cmd = new CommandLine(cli, new ConsoleFactory(console));
        cmd.setOut(console.out());
        cmd.setErr(console.err());
        cmd.setExecutionExceptionHandler((e, commandLine, parseResult) -> {
            boolean verbose = List.of(args).contains("--verbose");
            int code = Errors.exitCode(e);
            console.err().println("tally: " + Errors.message(e));
            if (verbose) {
                e.printStackTrace(console.err());
            }
            console.err().flush();
            return code;
        });
        cmd.setParameterExceptionHandler((e, args2) -> {
            console.err().println("tally: " + e.getMessage());
            console.err().println("Try 'tally " + e.getCommandLine().getCommandName() + " --help'.");
            console.err().flush();
            return USAGE;
        });
        int code = cmd.execute(args);
        console.out().flush();
        return code;
    }

    @Override
    public Integer call() {
        new CommandLine(this).usage(console.out());
        return USAGE;
    }
}

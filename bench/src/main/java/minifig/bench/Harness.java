package minifig.bench;

import minifig.BadInputException;
import minifig.cli.Main;
import picocli.CommandLine;

/**
 * The command lines of bench's harnesses (Interleaved, ConvForwardAB, StepCpu, ...): picocli options with the CLI's
 * error reporting, so a bad argument prints one line "error: ..." and exit status 2, never a stack trace.
 */
final class Harness {
    private Harness() {}

    /** Parses args into command (a picocli @Command that is a Runnable or Callable) and runs it; exits with 2 on bad input. */
    static void run(Object command, String[] args) {
        int status = commandLine(command).execute(args);
        if (status != 0) System.exit(status);
    }

    /** The command line run() executes: command's options, --help, and the CLI's one-line errors. */
    static CommandLine commandLine(Object command) {
        CommandLine cl = new CommandLine(command);
        // --help only: picocli's standard mixin would add a --version with nothing to print
        cl.getCommandSpec().addOption(CommandLine.Model.OptionSpec.builder("-h", "--help").usageHelp(true)
                .description("Show this help message and exit.").build());
        return Main.withOneLineErrors(cl);
    }

    /** value, checked to be at least 1: a count of rounds, steps, images, threads. */
    static int atLeastOne(String option, int value) {
        if (value < 1) throw new BadInputException(option + ": expected a whole number >= 1, got " + value);
        return value;
    }

    /** Each of values checked to be at least 1 (a list such as --threads 1,2). */
    static int[] atLeastOne(String option, int[] values) {
        if (values.length == 0) throw new BadInputException(option + ": expected at least one value");
        for (int v : values) atLeastOne(option, v);
        return values;
    }
}
